import { Client } from 'pg';
import { createServiceDataSource, migrate } from '@vc/database';
import { createTestDatabase, TestDatabase } from '@vc/testing';
import { issuanceMigrations } from '../../../apps/issuance/src/migrations';
import { ISSUANCE_FUNCTIONS, ISSUANCE_VIEWS } from '../../../apps/issuance/src/sql/functions';
import { redemptionMigrations } from '../../../apps/redemption/src/migrations';
import { REDEMPTION_FUNCTIONS, REDEMPTION_VIEWS } from '../../../apps/redemption/src/sql/functions';
import { registryMigrations } from '../../../apps/registry/src/migrations';
import { REGISTRY_FUNCTIONS, REGISTRY_VIEWS } from '../../../apps/registry/src/sql/functions';
import { settlementMigrations } from '../../../apps/settlement/src/migrations';
import { SETTLEMENT_FUNCTIONS, SETTLEMENT_VIEWS } from '../../../apps/settlement/src/sql/functions';

/** Each service's schema, its migrations, and the home of its functions and views as they are in force. */
const SERVICES = [
  { schema: 'registry', migrations: registryMigrations, home: { ...REGISTRY_FUNCTIONS, ...REGISTRY_VIEWS } },
  { schema: 'issuance', migrations: issuanceMigrations, home: { ...ISSUANCE_FUNCTIONS, ...ISSUANCE_VIEWS } },
  { schema: 'redemption', migrations: redemptionMigrations, home: { ...REDEMPTION_FUNCTIONS, ...REDEMPTION_VIEWS } },
  { schema: 'settlement', migrations: settlementMigrations, home: { ...SETTLEMENT_FUNCTIONS, ...SETTLEMENT_VIEWS } },
];

/**
 * A definition without what does not change its meaning: SQL comments (outside quoted text),
 * indentation, trailing spaces and blank lines. pg_get_functiondef gives a function's body as it
 * was written; pg_get_viewdef gives a view as PostgreSQL reads it.
 */
export function normalised(definition: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < definition.length; i++) {
    const ch = definition[i];
    if (quote) {
      out += ch;
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '-' && definition[i + 1] === '-') {
      while (i < definition.length && definition[i] !== '\n') i++;
      out += '\n';
    } else {
      out += ch;
    }
  }
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join('\n');
}

/** Every function and view of `schema` by its signature, with its definition. */
async function definitions(c: Client, schema: string): Promise<Record<string, string>> {
  const { rows } = await c.query<{ name: string; def: string }>(
    `SELECT 'function ' || p.oid::regprocedure::text AS name, pg_get_functiondef(p.oid) AS def
       FROM pg_proc p WHERE p.pronamespace = $1::regnamespace AND p.prokind IN ('f', 'p')
     UNION ALL
     SELECT 'view ' || c.oid::regclass::text, pg_get_viewdef(c.oid)
       FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('v', 'm')
     ORDER BY 1`,
    [schema],
  );
  return Object.fromEntries(rows.map((r) => [r.name, normalised(r.def)]));
}

/**
 * Live PL/pgSQL and views have one current home per service (apps/<service>/src/sql/functions.ts);
 * migrations keep frozen copies. After every migration has run, the schema's functions and views
 * are exactly the home's: dropping them all and creating the home's gives the same set, each with
 * the same definition. Fails on a migration that changed a function the home does not show, on a
 * home edited without its migration, and on an object one has and the other lacks.
 */
describe('SQL functions and views: one current home per service, equal to what the migrations leave', () => {
  let db: TestDatabase;
  let c: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const s of SERVICES) {
      const ds = createServiceDataSource({ url: db.url, schema: s.schema, migrations: s.migrations, poolSize: 2, applicationName: 'sql-drift' });
      await ds.initialize();
      try {
        await migrate(ds, s.schema);
      } finally {
        await ds.destroy();
      }
    }
    c = new Client({ connectionString: db.url });
    await c.connect();
  });

  afterAll(async () => {
    await c?.end();
    await db?.drop();
  });

  it.each(SERVICES.map((s) => [s.schema, s] as const))('%s: the home defines every function and view the migrations leave, as they leave it', async (_name, s) => {
    const migrated = await definitions(c, s.schema);
    expect(Object.keys(migrated).length).toBeGreaterThan(0);
    await c.query('BEGIN');
    try {
      // Views first (they may read functions); CASCADE takes the triggers of the functions too.
      const { rows: views } = await c.query(`SELECT c.oid::regclass::text AS name FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'v'`, [s.schema]);
      for (const v of views) await c.query(`DROP VIEW IF EXISTS ${v.name} CASCADE`);
      const { rows: functions } = await c.query(`SELECT p.oid::regprocedure::text AS name FROM pg_proc p WHERE p.pronamespace = $1::regnamespace AND p.prokind IN ('f', 'p')`, [s.schema]);
      for (const f of functions) await c.query(`DROP FUNCTION IF EXISTS ${f.name} CASCADE`);
      expect(await definitions(c, s.schema)).toEqual({});
      for (const [name, statement] of Object.entries(s.home)) {
        try {
          await c.query(statement);
        } catch (err) {
          throw new Error(`${s.schema} home: ${name} does not create: ${(err as Error).message}`);
        }
      }
      expect(await definitions(c, s.schema)).toEqual(migrated);
    } finally {
      await c.query('ROLLBACK');
    }
  });

  it('comments, indentation and blank lines do not count; quoted text does', () => {
    expect(normalised(`  SELECT 1 -- one\n\n    FROM t  `)).toBe('SELECT 1\nFROM t');
    expect(normalised(`SELECT '-- kept' AS a`)).toBe(`SELECT '-- kept' AS a`);
    expect(normalised(`SELECT 'a'`)).not.toBe(normalised(`SELECT 'b'`));
  });
});
