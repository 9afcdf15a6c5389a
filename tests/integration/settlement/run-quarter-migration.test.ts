import { randomUUID } from 'node:crypto';
import { createTestDatabase, sql, TestDatabase } from '@vc/testing';
import { migrateSettlement, undoLastSettlementMigration } from './migrations';

/**
 * Migration 1764000000404 files every claim under the run that will take it (run_quarter) on a
 * database that already holds runs and claims: what a run holds stays with it, what waits is filed
 * under its own quarter unless a run of that quarter exists (then it waits for the next run), and
 * the migration can be undone and redone.
 */
jest.setTimeout(60_000);

describe('settlement migration 1764000000404 (claims filed under their run)', () => {
  let db: TestDatabase;
  const runId = randomUUID();
  const claims = { inRun: randomUUID(), nextQuarter: randomUUID(), lateInRunQuarter: randomUUID(), returned: randomUUID(), otherProgramme: randomUUID() };

  const migrateWith = (count: number) => migrateSettlement(db.url, count);

  async function insertClaim(id: string, programmeId: string, submittedAt: string, state: string, run: string | null, lastRun: string | null): Promise<void> {
    await sql(
      db.url,
      `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id, provider_id, provider_name,
         provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at, state, run_id, last_run_id)
       VALUES ($1::uuid, gen_random_uuid(), $2, 1, 'provider_redeems', gen_random_uuid(), 'e', gen_random_uuid(), gen_random_uuid(), 'p', 'c', 'JS', 'provider',
               gen_random_uuid(), 400000, 100000, $7, $3, $4, $5, $6)`,
      [id, programmeId, submittedAt, state, run, lastRun, `INV-${id}`],
    );
  }

  const indexes = async () =>
    (await sql(db.url, `SELECT indexname FROM pg_indexes WHERE schemaname = 'settlement' AND tablename = 'claims' ORDER BY indexname`)).map((r) => r.indexname);
  const column = async (name: 'run_quarter' | 'last_run_id') =>
    Object.fromEntries(
      (await sql(db.url, `SELECT claim_id::text AS id, ${name}::text AS v FROM settlement.claims`)).map((r) => [Object.entries(claims).find(([, id]) => id === r.id)![0], r.v]),
    );
  const filed = () => column('run_quarter');

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateWith(3);
    await sql(
      db.url,
      `INSERT INTO settlement.runs (id, programme_id, province, quarter, quarter_end, state, seed, sample_rate_bp, created_by)
       VALUES ($1, 'JS-2026', 'JS', '2026Q3', '2026-10-01T00:00:00+08:00', 'completed', 'seed', 0, 'op')`,
      [runId],
    );
    await insertClaim(claims.inRun, 'JS-2026', '2026-08-01T09:00:00+08:00', 'paid', runId, runId);
    await insertClaim(claims.nextQuarter, 'JS-2026', '2026-10-01T00:00:00+08:00', 'pending', null, null);
    await insertClaim(claims.lateInRunQuarter, 'JS-2026', '2026-09-30T23:59:59+08:00', 'pending', null, null);
    await insertClaim(claims.returned, 'JS-2026', '2026-09-01T09:00:00+08:00', 'returned', null, runId);
    await insertClaim(claims.otherProgramme, 'ZJ-2026', '2026-09-30T23:59:59+08:00', 'pending', null, null);
  });
  afterAll(async () => db?.drop());

  it('files what a run holds under its quarter, waiting claims under their own quarter unless its run exists, sent-back claims for the next run', async () => {
    await migrateWith(4);
    expect(await filed()).toEqual({ inRun: '2026Q3', nextQuarter: '2026Q4', lateInRunQuarter: null, returned: null, otherProgramme: '2026Q3' });
    // last_run_id names only the run that sent a claim back
    expect(await column('last_run_id')).toEqual({ inRun: null, nextQuarter: null, lateInRunQuarter: null, returned: runId, otherProgramme: null });
    const after = await indexes();
    expect(after).toEqual(expect.arrayContaining(['claims_run_quarter', 'claims_sent_back']));
    expect(after).not.toEqual(expect.arrayContaining(['claims_run']));
    expect(after).not.toEqual(expect.arrayContaining(['claims_waiting']));
  });

  it('is undone and redone', async () => {
    await undoLastSettlementMigration(db.url);
    expect(await indexes()).toEqual(expect.arrayContaining(['claims_run', 'claims_waiting', 'claims_sent_back']));
    expect((await sql(db.url, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'settlement' AND column_name = 'run_quarter'`))[0].n).toBe(0);
    expect((await column('last_run_id')).inRun).toBe(runId);
    const sentBackIndex = await sql(db.url, `SELECT indexdef FROM pg_indexes WHERE schemaname = 'settlement' AND indexname = 'claims_sent_back'`);
    expect(sentBackIndex[0].indexdef).toContain('run_id IS NULL');
    await migrateWith(4);
    expect((await filed()).nextQuarter).toBe('2026Q4');
  });
});
