import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run's payment is recorded once, on the run, not on each of its claims (ADR 0008). Paying a
 * million claims rewrote every one of them (state 'paid', paid_at), a new version of each wide row:
 * about 5 s per million of the pay statement's 10, where reading the same claims for the events,
 * the matching obligations and the statement lines takes 2. Once a run is paid, none of its claims
 * can become 'approved' any more (review and objections end before disbursement), so "approved in
 * a run that is paid or completed" means exactly "paid by that run, at the run's paid_at".
 *
 * `settlement.claims_current` presents every claim as it now stands: the claims table's columns,
 * with `state` 'paid' and `paid_at` the run's for those claims. Claims paid before this migration
 * keep their stored 'paid' and paid_at, which the view shows as they are, so nothing is rewritten.
 * Every reader of a claim's state reads the view; writers write the table. A column added to the
 * claims table later must be added to the view as well.
 */
const CLAIM_COLUMNS = [
  'claim_id',
  'order_id',
  'programme_id',
  'programme_version',
  'mode',
  'enterprise_id',
  'enterprise_name',
  'region_id',
  'provider_id',
  'provider_name',
  'provider_credit_code',
  'provider_province',
  'payee_type',
  'payee_id',
  'amount_fen',
  'voucher_fen',
  'invoice_number',
  'submitted_at',
  'revision',
  'state',
  'run_id',
  'last_run_id',
  'sampled',
  'flagged',
  'decision_reason',
  'decided_at',
  'paid_at',
  'run_quarter',
] as const;

/**
 * `settlement.claims_current` as `CREATE OR REPLACE VIEW`: every column of CLAIM_COLUMNS from the
 * claims table `c`, except those `derived` gives an expression for, with `join` (the runs that
 * decide a derived column) after the table.
 */
function claimsCurrentView(derived: Partial<Record<(typeof CLAIM_COLUMNS)[number], string>>, join: string): string {
  return `
      CREATE OR REPLACE VIEW settlement.claims_current AS
      SELECT ${CLAIM_COLUMNS.map((c) => derived[c] ?? `c.${c}`).join(', ')}
        FROM settlement.claims c
        ${join}`;
}

/**
 * The view as this migration defines it (a later one that redefines it restores this on undo).
 * The join names a run only for an approved claim of a paid run; for every other claim, and for
 * any query that reads neither state nor paid_at, the planner drops it (runs.id is unique).
 */
function paymentPerRunView(): string {
  return claimsCurrentView(
    { state: `CASE WHEN p.id IS NULL THEN c.state ELSE 'paid' END AS state`, paid_at: `COALESCE(c.paid_at, p.paid_at) AS paid_at` },
    `LEFT JOIN settlement.runs p ON p.id = c.run_id AND c.state = 'approved' AND p.state IN ('paid', 'completed')`,
  );
}

export class SettlementPaymentPerRun1764000000408 implements MigrationInterface {
  name = 'SettlementPaymentPerRun1764000000408';

  async up(q: QueryRunner): Promise<void> {
    await q.query(paymentPerRunView());
  }

  async down(q: QueryRunner): Promise<void> {
    // The former build reads a claim's payment from the claim: write it there first.
    await q.query(`
      UPDATE settlement.claims c SET state = 'paid', paid_at = r.paid_at
        FROM settlement.runs r
       WHERE r.id = c.run_id AND c.state = 'approved' AND r.state IN ('paid', 'completed')`);
    await q.query(`DROP VIEW settlement.claims_current`);
  }
}
