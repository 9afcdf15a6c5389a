import { randomUUID } from 'node:crypto';
import { createTestDatabase, sql, TestDatabase } from '@vc/testing';
import { runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { insertRun as insertRunIn, migrateSettlement, undoLastSettlementMigration } from './migrations';

/**
 * Migration 1764000000407 gives each run the count and V of its approved, held, rejected and paid
 * claims, from the claims already there (claims a run sent back are not its own); it can be undone
 * and redone.
 */
jest.setTimeout(60_000);

describe('settlement migration 1764000000407 (state counters on the run)', () => {
  let db: TestDatabase;
  const publicity = randomUUID();
  const completed = randomUUID();

  const insertRun = (id: string, quarter: string, state: string) => insertRunIn(db.url, id, quarter, state);

  /** `count` claims of V = `voucherFen` each; `run` holds them, or (with `sentBackBy`) sent them back. */
  async function insertClaims(run: string | null, state: string, count: number, voucherFen: number, sentBackBy: string | null = null): Promise<void> {
    await sql(
      db.url,
      `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id, provider_id, provider_name,
         provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at, state, run_id, last_run_id, run_quarter)
       SELECT gen_random_uuid(), gen_random_uuid(), 'JS-2026', 1, 'provider_redeems', gen_random_uuid(), 'e', gen_random_uuid(), gen_random_uuid(), 'p', 'c', 'JS', 'provider',
              gen_random_uuid(), $4 * 4, $4, 'INV-' || gen_random_uuid(), '2026-08-01T09:00:00+08:00', $2, $1, $5, CASE WHEN $1::uuid IS NULL THEN NULL ELSE '2026Q3' END
         FROM generate_series(1, $3)`,
      [run, state, count, voucherFen, sentBackBy],
    );
  }

  const counters = async () =>
    Object.fromEntries(
      (
        await sql(
          db.url,
          `SELECT id::text AS id, approved_count, approved_fen::int AS approved_fen, held_count, held_fen::int AS held_fen, rejected_count,
                  rejected_fen::int AS rejected_fen, paid_count, paid_fen::int AS paid_fen
             FROM settlement.runs`,
        )
      ).map(({ id, ...rest }) => [id === publicity ? 'publicity' : 'completed', rest]),
    );
  const expected = {
    publicity: { approved_count: 4, approved_fen: 400, held_count: 1, held_fen: 70, rejected_count: 2, rejected_fen: 60, paid_count: 0, paid_fen: 0 },
    completed: { approved_count: 0, approved_fen: 0, held_count: 1, held_fen: 50, rejected_count: 0, rejected_fen: 0, paid_count: 3, paid_fen: 600 },
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateSettlement(db.url, 6);
    await insertRun(publicity, '2026Q3', 'publicity');
    await insertRun(completed, '2026Q2', 'completed');
    await insertClaims(publicity, 'approved', 4, 100);
    await insertClaims(publicity, 'held', 1, 70);
    await insertClaims(publicity, 'rejected', 2, 30);
    await insertClaims(null, 'returned', 2, 1_000, publicity);
    await insertClaims(null, 'deferred', 1, 1_000, publicity);
    await insertClaims(completed, 'paid', 3, 200);
    await insertClaims(completed, 'held', 1, 50);
    await insertClaims(null, 'pending', 2, 1_000);
  });
  afterAll(async () => db?.drop());

  const counterCheck = async () => (await runLedgerChecks(db.url)).find((r) => r.name.startsWith('run state counters'))!;

  it('R-LEDGER-1: counts each run’s own claims by state and their V; the ledger check is skipped before it and agrees after', async () => {
    expect((await counterCheck()).status).toBe('skipped');
    await migrateSettlement(db.url, 7);
    expect(await counters()).toEqual(expected);
    // The check reads the claims as they now stand (settlement.claims_current, migration 1764000000408).
    expect((await counterCheck()).status).toBe('skipped');
    await migrateSettlement(db.url, 8);
    expect(await counterCheck()).toMatchObject({ status: 'ok', differences: [] });
  });

  it('R-LEDGER-1: the ledger check names a run whose counters differ', async () => {
    await sql(db.url, `UPDATE settlement.runs SET paid_fen = paid_fen - 1 WHERE id = $1`, [completed]);
    expect((await counterCheck()).differences).toEqual([expect.objectContaining({ run: completed })]);
    await sql(db.url, `UPDATE settlement.runs SET paid_fen = paid_fen + 1 WHERE id = $1`, [completed]);
  });

  it('is undone and redone', async () => {
    await undoLastSettlementMigration(db.url); // 1764000000408
    await undoLastSettlementMigration(db.url);
    const columns = await sql(
      db.url,
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'settlement' AND table_name = 'runs'
          AND column_name ~ '^(approved|held|rejected|paid)_(count|fen)$'`,
    );
    expect(columns).toEqual([]);
    await migrateSettlement(db.url, 7);
    expect(await counters()).toEqual(expected);
  });
});
