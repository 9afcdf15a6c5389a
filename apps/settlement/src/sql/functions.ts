import { commonFunctions } from '@vc/database';

/**
 * The functions and views of the settlement schema as they are in force: the one place to read and
 * change them. Migrations keep frozen copies (a change here goes with a new migration carrying a
 * copy of it, never an import of this file); tests/integration/schema/sql-drift.test.ts compares
 * this with what they leave.
 */
export const SETTLEMENT_FUNCTIONS = {
  ...commonFunctions('settlement'),
  /** SPEC 3: a loaded calendar year is never changed; a correction is a new version. */
  calendar_years_append_only: `
    CREATE OR REPLACE FUNCTION settlement.calendar_years_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'calendar_years is append-only: a correction is a new version';
    END $$`,
  /** Bank accounts, the bank's reports and their lines are records: never changed (ADR 0009). */
  bank_records_append_only: `
    CREATE OR REPLACE FUNCTION settlement.bank_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
    END $$`,
  /** R-AUDIT-1: matching payments and statement lines are records: never changed (their triggers call this). */
  records_append_only: `
    CREATE OR REPLACE FUNCTION settlement.records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: correct with a new record', TG_TABLE_NAME;
    END $$`,
} as const;

export const SETTLEMENT_VIEWS = {
  /**
   * Every claim as it now stands (ADR 0008). A run records its approve-all and its payment once,
   * on the run: a claim of the run still in review, neither sampled nor flagged, is approved by
   * the run's approve-all (decided at its approved_at), and an approved claim of a paid run is
   * paid (at the run's paid_at). Every reader of a claim's state reads this view; writers write
   * the table. TypeScript states the same rule for a run it holds as `currentState` and
   * `approvedBy` (tests/integration/settlement/claims-current.parity.test.ts pins them to this).
   * The join names a run only for a claim whose state the run decides; for every other claim,
   * and for a query that reads none of state, decided_at and paid_at, the planner drops it
   * (runs.id is unique). A column added to the claims table is added here too.
   */
  claims_current: `
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
             OR (c.state = 'in_review' AND NOT c.sampled AND NOT c.flagged AND r.approved_at IS NOT NULL))`,
  /** SPEC 3: the schedule of each year in force: its highest version. */
  calendar_current: `
    CREATE OR REPLACE VIEW settlement.calendar_current AS
    SELECT DISTINCT ON (year) * FROM settlement.calendar_years ORDER BY year, version DESC`,
  /** The bank account of each payee and programme in force: its highest version (ADR 0009). */
  bank_accounts_current: `
    CREATE OR REPLACE VIEW settlement.bank_accounts_current AS
    SELECT DISTINCT ON (owner_type, owner_id) * FROM settlement.bank_accounts ORDER BY owner_type, owner_id, version DESC`,
} as const;
