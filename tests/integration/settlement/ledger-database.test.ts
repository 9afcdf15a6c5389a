import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseToCheck } from '../../../scripts/ledger/ledger-check';

/** `npm run ledger:check` after `npm run demo` checks the demo's database, which the local system records. */
describe('ledger:check picks the database the local system runs on', () => {
  const checkout = () => mkdtempSync(join(tmpdir(), 'vc-ledger-'));

  it('DATABASE_URL first; then the database `npm run up` / `npm run demo` recorded; then the default', () => {
    const root = checkout();
    expect(databaseToCheck({}, root)).toEqual({ url: 'postgres://postgres@127.0.0.1:15432/voucher', from: 'the default' });
    mkdirSync(join(root, '.infra', 'run'), { recursive: true });
    writeFileSync(join(root, '.infra', 'run', 'database-url'), 'postgres://postgres@127.0.0.1:15432/voucher_demo\n');
    expect(databaseToCheck({}, root)).toMatchObject({ url: 'postgres://postgres@127.0.0.1:15432/voucher_demo' });
    expect(databaseToCheck({ DATABASE_URL: 'postgres://x@h:1/other' }, root)).toEqual({ url: 'postgres://x@h:1/other', from: 'DATABASE_URL' });
    // a system started without DATABASE_URL (the services' default) records an empty line
    writeFileSync(join(root, '.infra', 'run', 'database-url'), '\n');
    expect(databaseToCheck({}, root).from).toBe('the default');
  });
});
