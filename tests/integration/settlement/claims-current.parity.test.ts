import { randomUUID } from 'node:crypto';
import { RUN_STATES, SETTLEMENT_CLAIM_STATES } from '@vc/contracts';
import { createTestDatabase, sql, TestDatabase } from '@vc/testing';
import { approvedBy, currentState } from '../../../apps/settlement/src/sql/claim-state';
import { RunRow } from '../../../apps/settlement/src/sql/runs';
import { insertRun, migrateSettlement } from './migrations';
import { settlementMigrations } from '../../../apps/settlement/src/migrations';

jest.setTimeout(60_000);

/**
 * "Approved by the run" (ADR 0008) is said twice, for good reasons: the view
 * settlement.claims_current for a reader of any claim, and currentState / approvedBy
 * (apps/settlement/src/sql/claim-state.ts) as expressions over the claims table for a statement over one run's claims,
 * which the planner estimates from the table's statistics. This pins the two to each other for
 * every combination of the run's state, its approve-all, and the claim's state, sample and flag.
 */
describe('settlement: currentState() and approvedBy() say what claims_current says, for every combination', () => {
  let db: TestDatabase;
  const runs: Array<Pick<RunRow, 'id' | 'state' | 'approved_at'>> = [];
  const claims: Array<{ id: string; run: string; state: string; sampled: boolean; flagged: boolean }> = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrateSettlement(db.url, settlementMigrations.length);
    let quarter = 0;
    for (const state of RUN_STATES) {
      for (const approved of [false, true]) {
        const id = randomUUID();
        // one quarter per run: a programme has one run per quarter
        const q = `${2000 + Math.floor(quarter / 4)}Q${(quarter % 4) + 1}`;
        quarter += 1;
        await insertRun(db.url, id, q, state);
        const approvedAt = approved ? new Date('2026-10-09T02:00:00Z') : null;
        await sql(db.url, `UPDATE settlement.runs SET approved_at = $2, paid_at = CASE WHEN $3 THEN now() END WHERE id = $1`, [
          id,
          approvedAt,
          state === 'paid' || state === 'completed',
        ]);
        runs.push({ id, state, approved_at: approvedAt });
        for (const claimState of SETTLEMENT_CLAIM_STATES) {
          for (const sampled of [false, true]) {
            for (const flagged of [false, true]) {
              const claimId = randomUUID();
              claims.push({ id: claimId, run: id, state: claimState, sampled, flagged });
              await sql(
                db.url,
                `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id, provider_id,
                   provider_name, provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at, state,
                   run_id, run_quarter, sampled, flagged)
                 VALUES ($1::uuid, gen_random_uuid(), 'JS-2026', 1, 'provider_redeems', gen_random_uuid(), 'e', gen_random_uuid(), gen_random_uuid(), 'p', 'c',
                         'JS', 'provider', gen_random_uuid(), 400, 100, $1::text, '2026-08-01T09:00:00+08:00', $2, $3, $4, $5, $6)`,
                [claimId, claimState, id, q, sampled, flagged],
              );
            }
          }
        }
      }
    }
  });
  afterAll(async () => db?.drop());

  it('ADR 0008: for each run, currentState(run) over the table = claims_current.state, and approvedBy(run) = "approved or paid by it"', async () => {
    expect(runs.length).toBe(RUN_STATES.length * 2);
    let compared = 0;
    for (const run of runs) {
      const rows = await sql(
        db.url,
        `SELECT c.claim_id::text AS id, ${currentState(run as RunRow, 'c')} AS written, ${approvedBy(run as RunRow, 'c')} AS approved, v.state AS viewed
           FROM settlement.claims c JOIN settlement.claims_current v USING (claim_id) WHERE c.run_id = $1`,
        [run.id],
      );
      expect(rows.length).toBe(SETTLEMENT_CLAIM_STATES.length * 4);
      for (const r of rows) {
        const claim = claims.find((c) => c.id === r.id)!;
        const at = { run: { state: run.state, approved: run.approved_at !== null }, claim: { state: claim.state, sampled: claim.sampled, flagged: claim.flagged } };
        expect({ ...at, state: r.written }).toEqual({ ...at, state: r.viewed });
        // approvedBy picks the claims the run holds approved: approved now, or paid once the run is
        const paidRun = run.state === 'paid' || run.state === 'completed';
        const heldApproved = r.viewed === 'approved' || (paidRun && r.viewed === 'paid' && claim.state !== 'paid');
        expect({ ...at, approved: r.approved }).toEqual({ ...at, approved: heldApproved });
        compared += 1;
      }
    }
    // every combination, and each of the rule's outcomes met
    expect(compared).toBe(RUN_STATES.length * 2 * SETTLEMENT_CLAIM_STATES.length * 4);
    const outcomes = await sql(db.url, `SELECT DISTINCT c.state AS stored, v.state AS viewed FROM settlement.claims c JOIN settlement.claims_current v USING (claim_id)`);
    expect(outcomes).toEqual(expect.arrayContaining([{ stored: 'in_review', viewed: 'approved' }, { stored: 'in_review', viewed: 'paid' }, { stored: 'approved', viewed: 'paid' }]));
  });
});
