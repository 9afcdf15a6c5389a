import { randomUUID } from 'node:crypto';
import { createTestDatabase, sql, TestDatabase } from '@vc/testing';
import { runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { insertRun, migrateSettlement, undoLastSettlementMigration } from './migrations';

/**
 * Migration 1764000000408 records a run's payment on the run (ADR 0008): `settlement.claims_current`
 * shows an approved claim of a paid or completed run as paid at the run's paid_at, and a claim paid
 * before the migration as it was stored. Nothing is rewritten on the way up; undone, the payment is
 * written back onto each claim, as the former build reads it.
 */
jest.setTimeout(60_000);

describe('settlement migration 1764000000408 (payment recorded per run)', () => {
  let db: TestDatabase;
  const legacy = randomUUID(); // completed and paid by the former build: its claims say 'paid'
  const paidRun = randomUUID(); // paid after the migration: its claims still say 'approved'
  const publicity = randomUUID(); // not paid yet
  const legacyPaidAt = '2026-07-16T01:00:00.000Z';
  const runPaidAt = '2026-10-16T01:00:00.000Z';
  const claims: Record<string, string> = {};

  async function insertClaim(name: string, run: string, quarter: string, state: string, paidAt: string | null = null): Promise<void> {
    claims[name] = randomUUID();
    await sql(
      db.url,
      `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id, provider_id, provider_name,
         provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at, state, run_id, run_quarter, paid_at)
       VALUES ($1::uuid, gen_random_uuid(), 'JS-2026', 1, 'provider_redeems', gen_random_uuid(), 'e', gen_random_uuid(), gen_random_uuid(), 'p', 'c', 'JS', 'provider',
               gen_random_uuid(), 400, 100, 'INV-' || $1::text, '2026-08-01T09:00:00+08:00', $2, $3, $4, $5)`,
      [claims[name], state, run, quarter, paidAt],
    );
  }

  const current = async () =>
    Object.fromEntries(
      (await sql(db.url, `SELECT claim_id::text AS id, state, paid_at FROM settlement.claims_current`)).map((r) => [
        Object.entries(claims).find(([, id]) => id === r.id)![0],
        { state: r.state, paidAt: r.paid_at?.toISOString() ?? null },
      ]),
    );
  const stored = async () =>
    Object.fromEntries(
      (await sql(db.url, `SELECT claim_id::text AS id, state, paid_at FROM settlement.claims`)).map((r) => [
        Object.entries(claims).find(([, id]) => id === r.id)![0],
        { state: r.state, paidAt: r.paid_at?.toISOString() ?? null },
      ]),
    );
  const expected = {
    legacyPaid: { state: 'paid', paidAt: legacyPaidAt },
    legacyHeld: { state: 'held', paidAt: null },
    paid: { state: 'paid', paidAt: runPaidAt },
    held: { state: 'held', paidAt: null },
    rejected: { state: 'rejected', paidAt: null },
    listed: { state: 'approved', paidAt: null },
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateSettlement(db.url, 7);
    await insertRun(db.url, legacy, '2026Q2', 'completed');
    await insertRun(db.url, paidRun, '2026Q3', 'paid');
    await insertRun(db.url, publicity, '2026Q4', 'publicity');
    await sql(db.url, `UPDATE settlement.runs SET paid_at = $2 WHERE id = $1`, [legacy, legacyPaidAt]);
    await sql(db.url, `UPDATE settlement.runs SET paid_at = $2 WHERE id = $1`, [paidRun, runPaidAt]);
    await insertClaim('legacyPaid', legacy, '2026Q2', 'paid', legacyPaidAt);
    await insertClaim('legacyHeld', legacy, '2026Q2', 'held');
    await insertClaim('paid', paidRun, '2026Q3', 'approved');
    await insertClaim('held', paidRun, '2026Q3', 'held');
    await insertClaim('rejected', paidRun, '2026Q3', 'rejected');
    await insertClaim('listed', publicity, '2026Q4', 'approved');
  });
  afterAll(async () => db?.drop());

  it('R-PAY-1: an approved claim of a paid run reads as paid at the run’s time; other claims read as stored; nothing is rewritten', async () => {
    const before = await stored();
    await migrateSettlement(db.url, 8);
    expect(await current()).toEqual(expected);
    expect(await stored()).toEqual(before);
    // the ledger's paid-claims identities read the view: the paid claims have no instructions here
    const paidCheck = (await runLedgerChecks(db.url)).find((r) => r.name.startsWith('paid = Σ instructions'))!;
    expect(paidCheck.differences.map((d) => d.run).sort()).toEqual([legacy, paidRun].sort());
  });

  it('is undone (the payment written onto each claim) and redone', async () => {
    await undoLastSettlementMigration(db.url);
    expect(await sql(db.url, `SELECT 1 FROM information_schema.views WHERE table_schema = 'settlement' AND table_name = 'claims_current'`)).toEqual([]);
    expect(await stored()).toEqual(expected);
    await migrateSettlement(db.url, 8);
    expect(await current()).toEqual(expected);
  });
});
