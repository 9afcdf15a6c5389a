import { randomUUID } from 'node:crypto';
import { createTestDatabase, sql, TestDatabase } from '@vc/testing';
import { runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { insertRun as insertRunIn, migrateSettlement, undoLastSettlementMigration } from './migrations';

/**
 * Migration 1764000000406 gives each run the count of its claims in review and of the sampled ones
 * among them, from the claims already there; it can be undone and redone.
 */
jest.setTimeout(60_000);

describe('settlement migration 1764000000406 (review counters on the run)', () => {
  let db: TestDatabase;
  const inReview = randomUUID();
  const reviewed = randomUUID();

  const migrateWith = (count: number) => migrateSettlement(db.url, count);

  const insertRun = (id: string, quarter: string, state: string) => insertRunIn(db.url, id, quarter, state);

  async function insertClaims(run: string | null, state: string, sampled: boolean, count: number): Promise<void> {
    await sql(
      db.url,
      `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id, provider_id, provider_name,
         provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at, state, run_id, run_quarter, sampled)
       SELECT gen_random_uuid(), gen_random_uuid(), 'JS-2026', 1, 'provider_redeems', gen_random_uuid(), 'e', gen_random_uuid(), gen_random_uuid(), 'p', 'c', 'JS', 'provider',
              gen_random_uuid(), 400000, 100000, 'INV-' || gen_random_uuid(), '2026-08-01T09:00:00+08:00', $2, $1, '2026Q3', $3
         FROM generate_series(1, $4)`,
      [run, state, sampled, count],
    );
  }

  const counters = async () =>
    Object.fromEntries(
      (await sql(db.url, `SELECT id::text AS id, in_review_count AS n, sampled_in_review_count AS sampled FROM settlement.runs`)).map((r) => [
        r.id === inReview ? 'inReview' : 'reviewed',
        { n: r.n, sampled: r.sampled },
      ]),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateWith(5);
    await insertRun(inReview, '2026Q3', 'review');
    await insertRun(reviewed, '2026Q2', 'completed');
    await insertClaims(inReview, 'in_review', false, 3);
    await insertClaims(inReview, 'in_review', true, 2);
    await insertClaims(inReview, 'approved', true, 1);
    await insertClaims(inReview, 'approved', false, 4);
    await insertClaims(reviewed, 'paid', true, 2);
    await insertClaims(null, 'pending', false, 2);
  });
  afterAll(async () => db?.drop());

  it('counts each run’s claims in review and the sampled ones among them', async () => {
    // before the migration the ledger check of the counters is skipped, not failed (R-LEDGER-1)
    const counterCheck = async () => (await runLedgerChecks(db.url)).find((r) => r.name.startsWith('run review counters'))!;
    expect((await counterCheck()).status).toBe('skipped');
    await migrateWith(6);
    expect(await counters()).toEqual({ inReview: { n: 5, sampled: 2 }, reviewed: { n: 0, sampled: 0 } });
  });

  it('is undone and redone', async () => {
    await undoLastSettlementMigration(db.url);
    const columns = await sql(db.url, `SELECT column_name FROM information_schema.columns WHERE table_schema = 'settlement' AND table_name = 'runs' AND column_name LIKE '%in_review_count'`);
    expect(columns).toEqual([]);
    await migrateWith(6);
    expect(await counters()).toEqual({ inReview: { n: 5, sampled: 2 }, reviewed: { n: 0, sampled: 0 } });
  });

  it('R-LEDGER-1: the ledger check, which reads the claims as they now stand (migration 1764000000408), agrees', async () => {
    const counterCheck = async () => (await runLedgerChecks(db.url)).find((r) => r.name.startsWith('run review counters'))!;
    expect((await counterCheck()).status).toBe('skipped');
    await migrateWith(8);
    expect(await counterCheck()).toMatchObject({ status: 'ok', differences: [] });
  });
});
