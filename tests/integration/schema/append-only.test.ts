import { Client } from 'pg';
import { createServiceDataSource, migrate } from '@vc/database';
import { createTestDatabase, TestDatabase } from '@vc/testing';
import { issuanceMigrations } from '../../../apps/issuance/src/migrations';
import { redemptionMigrations } from '../../../apps/redemption/src/migrations';
import { registryMigrations } from '../../../apps/registry/src/migrations';
import { settlementMigrations } from '../../../apps/settlement/src/migrations';

const SERVICES = [
  { schema: 'registry', migrations: registryMigrations },
  { schema: 'issuance', migrations: issuanceMigrations },
  { schema: 'redemption', migrations: redemptionMigrations },
  { schema: 'settlement', migrations: settlementMigrations },
];

/**
 * The records nobody may change or remove once written (R-AUDIT-1, R-LEDGER-1): each service's
 * audit log and the events it quarantined; the ledgers; issuance's quota claims; settlement's
 * calendar years, bank accounts and bank reports, the matching payments regions recorded and the
 * cross-province statement lines of paid runs. A correction is a new record.
 */
const APPEND_ONLY = [
  'issuance.audit_log',
  'issuance.ledger_entries',
  'issuance.quarantined_events',
  'issuance.quota_claims',
  'redemption.audit_log',
  'redemption.ledger_entries',
  'redemption.quarantined_events',
  'registry.audit_log',
  'settlement.audit_log',
  'settlement.bank_accounts',
  'settlement.bank_report_entries',
  'settlement.bank_reports',
  'settlement.calendar_years',
  'settlement.matching_payments',
  'settlement.quarantined_events',
  'settlement.statement_lines',
];

/**
 * R-AUDIT-1: the database itself refuses to change or remove an append-only record, whoever asks
 * (a service's own connection included): triggers before UPDATE and DELETE of each row and before
 * TRUNCATE, every one raising. The rows the services write are refused in the flows that write
 * them (tests/e2e/quarter.lifecycle.test.ts, tests/integration/registry/provider-lifecycle.test.ts,
 * tests/integration/redemption/orders.nats.test.ts); here every schema is migrated as a deployment
 * is, and the set of guarded tables is exactly the list above.
 */
describe('R-AUDIT-1: append-only records are guarded by the database, in every schema', () => {
  let db: TestDatabase;
  let c: Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const s of SERVICES) {
      const ds = createServiceDataSource({ url: db.url, schema: s.schema, migrations: s.migrations, poolSize: 2, applicationName: 'append-only' });
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

  it('R-AUDIT-1: every append-only table has enabled triggers refusing UPDATE, DELETE and TRUNCATE, and only those tables have them', async () => {
    // tgtype bits: 1 row, 2 before, 4 insert, 8 delete, 16 update, 32 truncate
    const { rows } = await c.query<{ table: string; row_update: boolean; row_delete: boolean; truncate: boolean }>(
      `SELECT t.tgrelid::regclass::text AS table,
              bool_or(t.tgtype & 1 = 1 AND t.tgtype & 2 = 2 AND t.tgtype & 16 = 16) AS row_update,
              bool_or(t.tgtype & 1 = 1 AND t.tgtype & 2 = 2 AND t.tgtype & 8 = 8) AS row_delete,
              bool_or(t.tgtype & 1 = 0 AND t.tgtype & 2 = 2 AND t.tgtype & 32 = 32) AS truncate
         FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE NOT t.tgisinternal AND t.tgenabled = 'O' AND p.prosrc ~* 'raise\\s+exception'
          AND t.tgrelid::regclass::text ~ '^(registry|issuance|redemption|settlement)\\.'
        GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.filter((r) => r.row_update && r.row_delete && r.truncate).map((r) => r.table)).toEqual(APPEND_ONLY);
  });

  it.each(APPEND_ONLY)('R-AUDIT-1: %s cannot be emptied (TRUNCATE refused, even by its own service)', async (table) => {
    await expect(c.query(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/append-only/);
  });
});
