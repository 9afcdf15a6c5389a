import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run's approve-all is recorded once, on the run (`runs.approved_at`, ADR 0008), not written
 * onto each claim: approving a million claims rewrote every one of them (state, decided_at), a new
 * version of each wide row. The claims it approves are exactly those of the run still in review
 * that were neither sampled for inspection nor flagged when it ran. Sampled is fixed at
 * collection; a flag that arrives after approve-all writes the claim's approval onto it first
 * (the projection, under the run's row lock), so "in review, not sampled, not flagged, in a run
 * approved-all" stays "approved by the run". Review decisions and objections that change such a
 * claim write its state as they do today.
 *
 * `settlement.claims_current` now also shows those claims as approved, decided at the run's
 * approved_at, and as paid once the run is paid (migration 1764000000408).
 */
export class SettlementApprovalPerRun1764000000409 implements MigrationInterface {
  name = 'SettlementApprovalPerRun1764000000409';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.runs ADD COLUMN approved_at timestamptz`);
    // The join names a run only for a claim whose state the run decides: approved in a paid run,
    // or approved by the run's approve-all. For every other claim, and for a query that reads
    // none of state, decided_at and paid_at, the planner drops it (runs.id is unique).
    await q.query(`
      CREATE OR REPLACE VIEW settlement.claims_current AS
      SELECT c.claim_id, c.order_id, c.programme_id, c.programme_version, c.mode, c.enterprise_id, c.enterprise_name, c.region_id,
             c.provider_id, c.provider_name, c.provider_credit_code, c.provider_province, c.payee_type, c.payee_id, c.amount_fen,
             c.voucher_fen, c.invoice_number, c.submitted_at, c.revision,
             CASE WHEN r.id IS NULL THEN c.state WHEN r.state IN ('paid', 'completed') THEN 'paid' ELSE 'approved' END AS state,
             c.run_id, c.last_run_id, c.sampled, c.flagged, c.decision_reason,
             CASE WHEN r.id IS NOT NULL AND c.state = 'in_review' THEN r.approved_at ELSE c.decided_at END AS decided_at,
             COALESCE(c.paid_at, CASE WHEN r.state IN ('paid', 'completed') THEN r.paid_at END) AS paid_at,
             c.run_quarter
        FROM settlement.claims c
        LEFT JOIN settlement.runs r ON r.id = c.run_id
             AND ((c.state = 'approved' AND r.state IN ('paid', 'completed'))
               OR (c.state = 'in_review' AND NOT c.sampled AND NOT c.flagged AND r.approved_at IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The former build reads a claim's approval from the claim: write it there first.
    await q.query(`
      UPDATE settlement.claims c SET state = 'approved', decided_at = r.approved_at
        FROM settlement.runs r
       WHERE r.id = c.run_id AND c.state = 'in_review' AND NOT c.sampled AND NOT c.flagged AND r.approved_at IS NOT NULL`);
    // the view as migration 1764000000408 made it
    await q.query(`
      CREATE OR REPLACE VIEW settlement.claims_current AS
      SELECT c.claim_id, c.order_id, c.programme_id, c.programme_version, c.mode, c.enterprise_id, c.enterprise_name, c.region_id,
             c.provider_id, c.provider_name, c.provider_credit_code, c.provider_province, c.payee_type, c.payee_id, c.amount_fen,
             c.voucher_fen, c.invoice_number, c.submitted_at, c.revision,
             CASE WHEN p.id IS NULL THEN c.state ELSE 'paid' END AS state,
             c.run_id, c.last_run_id, c.sampled, c.flagged, c.decision_reason, c.decided_at,
             COALESCE(c.paid_at, p.paid_at) AS paid_at,
             c.run_quarter
        FROM settlement.claims c
        LEFT JOIN settlement.runs p ON p.id = c.run_id AND c.state = 'approved' AND p.state IN ('paid', 'completed')`);
    await q.query(`ALTER TABLE settlement.runs DROP COLUMN approved_at`);
  }
}
