import { randomUUID } from 'node:crypto';
import { createTestDatabase, sql, TestDatabase } from '@vc/testing';
import { insertRun, migrateSettlement, undoLastSettlementMigration } from './migrations';

/**
 * Migration 1764000000409 records a run's approve-all on the run (ADR 0008): a claim of the run
 * still in review, neither sampled nor flagged, reads as approved (decided at the run's
 * approved_at), and as paid once the run is paid. Undone, each such approval is written onto its
 * claim, so every claim reads the same before and after.
 */
jest.setTimeout(60_000);

describe('settlement migration 1764000000409 (approval recorded per run)', () => {
  let db: TestDatabase;
  const publicity = randomUUID();
  const completed = randomUUID();
  const review = randomUUID();
  const approvedAt = { publicity: '2026-10-09T02:00:00.000Z', completed: '2026-07-09T02:00:00.000Z' };
  const paidAt = '2026-07-16T01:00:00.000Z';
  const claims: Record<string, string> = {};

  async function insertClaim(name: string, run: string, quarter: string, state: string, marks: { sampled?: boolean; flagged?: boolean } = {}): Promise<void> {
    claims[name] = randomUUID();
    await sql(
      db.url,
      `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id, provider_id, provider_name,
         provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at, state, run_id, run_quarter, sampled, flagged)
       VALUES ($1::uuid, gen_random_uuid(), 'JS-2026', 1, 'provider_redeems', gen_random_uuid(), 'e', gen_random_uuid(), gen_random_uuid(), 'p', 'c', 'JS', 'provider',
               gen_random_uuid(), 400, 100, 'INV-' || $1::text, '2026-08-01T09:00:00+08:00', $2, $3, $4, $5, $6)`,
      [claims[name], state, run, quarter, marks.sampled ?? false, marks.flagged ?? false],
    );
  }

  const read = async (relation: string) =>
    Object.fromEntries(
      (await sql(db.url, `SELECT claim_id::text AS id, state, decided_at, paid_at FROM ${relation}`)).map((r) => [
        Object.entries(claims).find(([, id]) => id === r.id)![0],
        { state: r.state, decidedAt: r.decided_at?.toISOString() ?? null, paidAt: r.paid_at?.toISOString() ?? null },
      ]),
    );
  const expected = {
    byRun: { state: 'approved', decidedAt: approvedAt.publicity, paidAt: null },
    sampledOpen: { state: 'in_review', decidedAt: null, paidAt: null },
    flaggedOpen: { state: 'in_review', decidedAt: null, paidAt: null },
    held: { state: 'held', decidedAt: null, paidAt: null },
    paidByRun: { state: 'paid', decidedAt: approvedAt.completed, paidAt },
    paidOneByOne: { state: 'paid', decidedAt: null, paidAt },
    notApprovedYet: { state: 'in_review', decidedAt: null, paidAt: null },
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateSettlement(db.url, 9);
    await insertRun(db.url, publicity, '2026Q3', 'publicity');
    await insertRun(db.url, completed, '2026Q2', 'completed');
    await insertRun(db.url, review, '2026Q4', 'review');
    await sql(db.url, `UPDATE settlement.runs SET approved_at = $2 WHERE id = $1`, [publicity, approvedAt.publicity]);
    await sql(db.url, `UPDATE settlement.runs SET approved_at = $2, paid_at = $3 WHERE id = $1`, [completed, approvedAt.completed, paidAt]);
    await insertClaim('byRun', publicity, '2026Q3', 'in_review');
    await insertClaim('sampledOpen', publicity, '2026Q3', 'in_review', { sampled: true });
    await insertClaim('flaggedOpen', publicity, '2026Q3', 'in_review', { flagged: true });
    await insertClaim('held', publicity, '2026Q3', 'held');
    await insertClaim('paidByRun', completed, '2026Q2', 'in_review');
    await insertClaim('paidOneByOne', completed, '2026Q2', 'approved', { sampled: true });
    await insertClaim('notApprovedYet', review, '2026Q4', 'in_review');
  });
  afterAll(async () => db?.drop());

  it('R-PAY-1: the claims a run approved-all read as approved when it ran, then paid with the run; the others as stored', async () => {
    expect(await read('settlement.claims_current')).toEqual(expected);
    expect((await read('settlement.claims')).byRun).toEqual({ state: 'in_review', decidedAt: null, paidAt: null });
  });

  it('is undone (each approval written onto its claim, every claim reading the same) and redone', async () => {
    await undoLastSettlementMigration(db.url);
    expect(await read('settlement.claims_current')).toEqual(expected);
    const stored = await read('settlement.claims');
    expect(stored.byRun).toEqual({ state: 'approved', decidedAt: approvedAt.publicity, paidAt: null });
    expect(stored.paidByRun).toEqual({ state: 'approved', decidedAt: approvedAt.completed, paidAt: null });
    expect(stored.notApprovedYet.state).toBe('in_review');
    const columns = await sql(db.url, `SELECT 1 FROM information_schema.columns WHERE table_schema = 'settlement' AND table_name = 'runs' AND column_name = 'approved_at'`);
    expect(columns).toEqual([]);
    await migrateSettlement(db.url, 9);
    expect(await read('settlement.claims_current')).toEqual(expected);
  });
});
