/**
 * `npm run ledger:check`: verifies every R-LEDGER-1 identity across the services' schemas, prints a
 * readable report and exits non-zero on any difference. It reads all schemas directly: it is an
 * operations tool, not a service, and reads only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { LEDGER_CHECKS } from './checks';

export interface CheckResult {
  name: string;
  status: 'ok' | 'differs' | 'skipped';
  differences: Array<Record<string, unknown>>;
}

export async function runLedgerChecks(databaseUrl: string): Promise<CheckResult[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // One snapshot for all checks, so that concurrent traffic cannot make them disagree.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // Tables as schema.table and columns as schema.table.column: a check names what it needs, and a
    // database not yet migrated that far skips it.
    const existing = new Set(
      (
        await client.query(
          `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
           UNION ALL SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns`,
        )
      ).rows.map((r) => r.t as string),
    );
    const results: CheckResult[] = [];
    for (const check of LEDGER_CHECKS) {
      if (!check.needs.every((t) => existing.has(t))) {
        results.push({ name: check.name, status: 'skipped', differences: [] });
        continue;
      }
      const rows = (await client.query(typeof check.sql === 'string' ? check.sql : check.sql((t) => existing.has(t)))).rows;
      results.push({ name: check.name, status: rows.length ? 'differs' : 'ok', differences: rows });
    }
    await client.query('COMMIT');
    return results;
  } finally {
    await client.end();
  }
}

export function formatReport(results: CheckResult[]): string {
  const lines = ['Ledger check (R-LEDGER-1)'];
  for (const r of results) {
    const mark = r.status === 'ok' ? 'OK     ' : r.status === 'skipped' ? 'SKIPPED' : 'DIFFERS';
    lines.push(`  ${mark} ${r.name}`);
    for (const d of r.differences.slice(0, 20)) lines.push(`          ${JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
    if (r.differences.length > 20) lines.push(`          … ${r.differences.length - 20} more`);
  }
  const differing = results.filter((r) => r.status === 'differs').length;
  const checked = results.filter((r) => r.status !== 'skipped').length;
  lines.push(`${checked} identities checked, ${differing} with differences`);
  return lines.join('\n');
}

/**
 * The database to check: DATABASE_URL; else the one the local system was last started on
 * (`npm run up` / `npm run demo` record it in .infra/run/database-url: the demo's is voucher_demo);
 * else the services' default.
 */
export function databaseToCheck(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): { url: string; from: string } {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, from: 'DATABASE_URL' };
  const recorded = join(root, '.infra', 'run', 'database-url');
  const local = existsSync(recorded) ? readFileSync(recorded, 'utf8').trim() : '';
  if (local) return { url: local, from: 'the local system (.infra/run/database-url)' };
  return { url: 'postgres://postgres@127.0.0.1:15432/voucher', from: 'the default' };
}

if (require.main === module) {
  const { url, from } = databaseToCheck();
  console.log(`Checking database ${new URL(url).pathname.slice(1)} on ${new URL(url).host} (${from})`);
  // --strict: a check whose tables are missing (a service never ran here) also fails.
  const strict = process.argv.includes('--strict');
  runLedgerChecks(url)
    .then((results) => {
      console.log(formatReport(results));
      const failed = results.some((r) => r.status === 'differs' || (strict && r.status === 'skipped'));
      process.exit(failed ? 1 : 0);
    })
    .catch((err) => {
      console.error(`ledger check failed to run: ${(err as Error).message}`);
      process.exit(2);
    });
}
