import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const APPS = join(__dirname, '..', '..', '..', 'apps');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * Controllers (HTTP, NATS, gRPC) and the settle CLI are transports (issue "one home for every
 * rule"): they call use cases, which own the transactions. .dependency-cruiser.js keeps SQL modules
 * and @vc/database out of them; this keeps UnitOfWork out, which a path rule cannot tell apart from
 * the rest of @vc/platform.
 */
describe('transports hold no unit of work', () => {
  it('no controller and no file of a cli/ folder names UnitOfWork', () => {
    const transports = files(APPS).filter((f) => /\.controller\.ts$/.test(f) || /\/src\/cli\//.test(f));
    expect(transports.length).toBeGreaterThan(8);
    const offenders = transports.filter((f) => /\bUnitOfWork\b/.test(readFileSync(f, 'utf8'))).map((f) => relative(APPS, f));
    expect(offenders).toEqual([]);
  });
});
