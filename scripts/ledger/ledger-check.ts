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

/** The schemas the checks read: one per service. */
export const SERVICE_SCHEMAS = ['registry', 'issuance', 'redemption', 'settlement'] as const;
export type ServiceSchema = (typeof SERVICE_SCHEMAS)[number];

/**
 * Where each service's schema lives: one database for all (a URL), or per service (each service
 * may run on its own PostgreSQL server, with its own DATABASE_URL); a schema not named is looked
 * for in `default`.
 */
export type LedgerDatabases = string | ({ default?: string } & Partial<Record<ServiceSchema, string>>);

/** Schema-qualified tables and views a check's SQL reads (schema.table), by schema. */
function tablesRead(sql: string): Map<ServiceSchema, Set<string>> {
  const read = new Map<ServiceSchema, Set<string>>();
  for (const m of sql.matchAll(new RegExp(`\\b(${SERVICE_SCHEMAS.join('|')})\\.([a-z_][a-z0-9_]*)\\b`, 'g'))) {
    const schema = m[1] as ServiceSchema;
    if (!read.has(schema)) read.set(schema, new Set());
    read.get(schema)!.add(m[2]);
  }
  return read;
}

/**
 * Runs every R-LEDGER-1 check. On one database: all checks in one repeatable-read snapshot. With
 * the schemas on several servers: one snapshot per server; a check that reads schemas of several
 * servers runs on the server holding most of them, the tables it reads from the others copied
 * into temporary tables of that session first (the snapshots of different servers are taken a
 * moment apart, which the cross-service identities tolerate: they hold once the outboxes are
 * relayed and the consumers have caught up).
 */
export async function runLedgerChecks(databases: LedgerDatabases): Promise<CheckResult[]> {
  const where = (schema: ServiceSchema): string => {
    const url = typeof databases === 'string' ? databases : (databases[schema] ?? databases.default);
    if (!url) throw new Error(`no database for the ${schema} schema (give it, or a default)`);
    return url;
  };
  const urls = [...new Set(SERVICE_SCHEMAS.map(where))];
  const clients = new Map<string, Client>();
  try {
    for (const url of urls) {
      const client = new Client({ connectionString: url });
      await client.connect();
      clients.set(url, client);
      // One snapshot per server, so that concurrent traffic cannot make the checks disagree. Read
      // only, except on several servers, where the copies of other servers' tables are written to
      // temporary tables of the session (nothing else is).
      await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ${urls.length === 1 ? ' READ ONLY' : ''}`);
    }
    // Tables as schema.table and columns as schema.table.column, each from the server its service
    // uses: a check names what it needs, and a database not yet migrated that far skips it.
    const existing = new Set<string>();
    for (const [url, client] of clients) {
      const mine = SERVICE_SCHEMAS.filter((schema) => where(schema) === url);
      const rows = (
        await client.query(
          `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema = ANY($1)
           UNION ALL SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = ANY($1)`,
          [mine],
        )
      ).rows;
      for (const r of rows) existing.add(r.t as string);
    }
    const copied = new Map<string, string>();
    const results: CheckResult[] = [];
    for (const check of LEDGER_CHECKS) {
      if (!check.needs.every((t) => existing.has(t))) {
        results.push({ name: check.name, status: 'skipped', differences: [] });
        continue;
      }
      let sql = typeof check.sql === 'string' ? check.sql : check.sql((t) => existing.has(t));
      const read = tablesRead(sql);
      const servers = [...read.keys()].map(where);
      const home = [...new Set(servers)].sort((a, b) => servers.filter((x) => x === b).length - servers.filter((x) => x === a).length)[0] ?? urls[0];
      for (const [schema, tables] of read) {
        if (where(schema) === home) continue;
        for (const table of tables) {
          const name = await copyTable(clients.get(where(schema))!, clients.get(home)!, `${schema}.${table}`, copied);
          sql = sql.replace(new RegExp(`\\b${schema}\\.${table}\\b`, 'g'), `pg_temp.${name}`);
        }
      }
      const rows = (await clients.get(home)!.query(sql)).rows;
      results.push({ name: check.name, status: rows.length ? 'differs' : 'ok', differences: rows });
    }
    for (const client of clients.values()) await client.query('COMMIT');
    return results;
  } finally {
    for (const client of clients.values()) await client.end().catch(() => undefined);
  }
}

/**
 * Copies a table (or view) of one server, as its snapshot shows it, into a temporary table of
 * another server's session; returns the temporary table's name. Columns keep their types; a type
 * of the source's own (an enum of its schema) arrives as text. Copied once per run.
 */
async function copyTable(from: Client, to: Client, qualified: string, copied: Map<string, string>): Promise<string> {
  const done = copied.get(qualified);
  if (done) return done;
  const name = `copy_${qualified.replace('.', '__')}`;
  const columns: Array<{ name: string; type: string }> = (
    await from.query(
      `SELECT a.attname AS name, CASE WHEN t.typnamespace = 'pg_catalog'::regnamespace THEN format_type(a.atttypid, a.atttypmod) ELSE 'text' END AS type
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [qualified],
    )
  ).rows;
  const ident = (c: string) => `"${c.replace(/"/g, '""')}"`;
  const definition = columns.map((c) => `${ident(c.name)} ${c.type}`).join(', ');
  await to.query(`CREATE TEMPORARY TABLE ${name} (${definition}) ON COMMIT DROP`);
  // the rows as one JSON text (never parsed here: bigints stay exact)
  const [{ rows }] = (await from.query(`SELECT coalesce(json_agg(t), '[]')::text AS rows FROM ${qualified} t`)).rows;
  await to.query(`INSERT INTO ${name} SELECT * FROM json_populate_recordset(NULL::${name}, $1::json)`, [rows]);
  copied.set(qualified, name);
  return name;
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

/**
 * Where each service's schema is: REGISTRY_DATABASE_URL, ISSUANCE_DATABASE_URL,
 * REDEMPTION_DATABASE_URL, SETTLEMENT_DATABASE_URL for a service that runs on its own server (the
 * DATABASE_URL that service is given); the others in the database of databaseToCheck.
 */
export function databasesToCheck(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): { databases: LedgerDatabases; lines: string[] } {
  const { url, from } = databaseToCheck(env, root);
  const name = (u: string) => `database ${new URL(u).pathname.slice(1)} on ${new URL(u).host}`;
  const own = SERVICE_SCHEMAS.filter((schema) => env[`${schema.toUpperCase()}_DATABASE_URL`]);
  const lines = own.map((schema) => `  ${schema}: ${name(env[`${schema.toUpperCase()}_DATABASE_URL`]!)} (${schema.toUpperCase()}_DATABASE_URL)`);
  if (own.length < SERVICE_SCHEMAS.length) lines.unshift(`  ${own.length ? 'the others' : 'all services'}: ${name(url)} (${from})`);
  return { databases: { default: url, ...Object.fromEntries(own.map((schema) => [schema, env[`${schema.toUpperCase()}_DATABASE_URL`]!])) }, lines };
}

if (require.main === module) {
  const { databases, lines } = databasesToCheck();
  console.log(['Checking', ...lines].join('\n'));
  // --strict: a check whose tables are missing (a service never ran here) also fails.
  const strict = process.argv.includes('--strict');
  runLedgerChecks(databases)
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
