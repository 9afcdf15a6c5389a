import { commonFunctions } from '@vc/database';

/**
 * The functions and views of the issuance schema as they are in force: the one place to read and
 * change them. Migrations keep frozen copies (a change here goes with a new migration carrying a
 * copy of it); tests/integration/schema/sql-drift.test.ts compares this with what they leave.
 */
export const ISSUANCE_FUNCTIONS = {
  ...commonFunctions('issuance'),
  /** R-LEDGER-1: the ledger is append-only (its triggers call this). */
  ledger_append_only: `
    CREATE OR REPLACE FUNCTION issuance.ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger_entries is append-only: correct with a new entry';
    END $$`,
  /** R-AUDIT-1: records of money that are never changed, beside the ledger (quota claims; their triggers call this). */
  records_append_only: `
    CREATE OR REPLACE FUNCTION issuance.records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: correct with a new record', TG_TABLE_NAME;
    END $$`,
} as const;

/** The ledger's side of the identities the ledger check verifies (scripts/ledger). */
export const ISSUANCE_VIEWS = {
  /** budget_set entries add up to the programme's budget: the budget at open, then each increase. */
  ledger_programme_budget: `
    CREATE OR REPLACE VIEW issuance.ledger_programme_budget AS
    SELECT programme_id, sum(amount_fen)::bigint AS budget_fen
      FROM issuance.ledger_entries WHERE entry_type = 'budget_set' GROUP BY programme_id`,
  ledger_enterprise_quota: `
    CREATE OR REPLACE VIEW issuance.ledger_enterprise_quota AS
    SELECT enterprise_id, programme_id, split_part(programme_id, '-', 2)::int AS year,
           COALESCE(sum(amount_fen) FILTER (WHERE entry_type = 'quota_claimed'), 0)::bigint AS claimed_fen,
           COALESCE(sum(amount_fen) FILTER (WHERE entry_type = 'quota_lapsed'), 0)::bigint AS lapsed_fen
      FROM issuance.ledger_entries WHERE enterprise_id IS NOT NULL GROUP BY enterprise_id, programme_id`,
} as const;
