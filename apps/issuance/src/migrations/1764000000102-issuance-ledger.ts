import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * R-LEDGER-1 on the issuance side: ledger entries are append-only and unique per reference (a
 * claim, a version, a lapse event), lapsed quota reported by redemption is recorded, and two views give
 * the totals the ledger check compares with redemption's balances (budget per programme, quota per
 * enterprise-year). Also: SME numbers belong to one enterprise, ratios are positive, and the
 * defaulting flag remembers when it last changed so that late events cannot undo newer ones.
 */
export class IssuanceLedger1764000000102 implements MigrationInterface {
  name = 'IssuanceLedger1764000000102';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE issuance.ledger_entries DROP CONSTRAINT ledger_entries_entry_type_check`);
    await q.query(`ALTER TABLE issuance.ledger_entries ADD CONSTRAINT ledger_entries_entry_type_check
      CHECK (entry_type IN ('budget_set','quota_claimed','quota_lapsed'))`);
    await q.query(`ALTER TABLE issuance.ledger_entries ADD CONSTRAINT ledger_entries_enterprise_check
      CHECK ((entry_type = 'budget_set') = (enterprise_id IS NULL))`);
    await q.query(`ALTER TABLE issuance.ledger_entries ADD CONSTRAINT ledger_entries_reference UNIQUE (entry_type, programme_id, ref)`);
    await q.query(`CREATE INDEX ledger_entries_enterprise ON issuance.ledger_entries (enterprise_id, programme_id) WHERE enterprise_id IS NOT NULL`);
    await q.query(`CREATE FUNCTION issuance.ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger_entries is append-only: correct with a new entry';
      END $$`);
    await q.query(`CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON issuance.ledger_entries
      FOR EACH ROW EXECUTE FUNCTION issuance.ledger_append_only()`);
    await q.query(`CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON issuance.ledger_entries
      FOR EACH STATEMENT EXECUTE FUNCTION issuance.ledger_append_only()`);

    await q.query(`ALTER TABLE issuance.quota_years ADD COLUMN lapsed_fen bigint NOT NULL DEFAULT 0 CHECK (lapsed_fen >= 0)`);
    await q.query(`ALTER TABLE issuance.regions ADD CONSTRAINT regions_matching_ratio_positive CHECK (matching_ratio > 0)`);
    await q.query(`ALTER TABLE issuance.regions ADD COLUMN defaulting_changed_at timestamptz`);
    await q.query(`CREATE UNIQUE INDEX sme_registrations_number ON issuance.sme_registrations (year, registration_number)`);

    // budget_set entries add up to the programme's budget: the budget at open, then each increase.
    await q.query(`CREATE VIEW issuance.ledger_programme_budget AS
      SELECT programme_id, sum(amount_fen)::bigint AS budget_fen
        FROM issuance.ledger_entries WHERE entry_type = 'budget_set' GROUP BY programme_id`);
    await q.query(`CREATE VIEW issuance.ledger_enterprise_quota AS
      SELECT enterprise_id, programme_id, split_part(programme_id, '-', 2)::int AS year,
             COALESCE(sum(amount_fen) FILTER (WHERE entry_type = 'quota_claimed'), 0)::bigint AS claimed_fen,
             COALESCE(sum(amount_fen) FILTER (WHERE entry_type = 'quota_lapsed'), 0)::bigint AS lapsed_fen
        FROM issuance.ledger_entries WHERE enterprise_id IS NOT NULL GROUP BY enterprise_id, programme_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW issuance.ledger_enterprise_quota, issuance.ledger_programme_budget`);
    await q.query(`DROP INDEX issuance.sme_registrations_number`);
    await q.query(`ALTER TABLE issuance.regions DROP COLUMN defaulting_changed_at, DROP CONSTRAINT regions_matching_ratio_positive`);
    await q.query(`ALTER TABLE issuance.quota_years DROP COLUMN lapsed_fen`);
    await q.query(`DROP TRIGGER ledger_entries_no_truncate ON issuance.ledger_entries`);
    await q.query(`DROP TRIGGER ledger_entries_no_update ON issuance.ledger_entries`);
    await q.query(`DROP FUNCTION issuance.ledger_append_only`);
    await q.query(`DROP INDEX issuance.ledger_entries_enterprise`);
    await q.query(`ALTER TABLE issuance.ledger_entries DROP CONSTRAINT ledger_entries_reference, DROP CONSTRAINT ledger_entries_enterprise_check,
      DROP CONSTRAINT ledger_entries_entry_type_check`);
    await q.query(`ALTER TABLE issuance.ledger_entries ADD CONSTRAINT ledger_entries_entry_type_check CHECK (entry_type IN ('budget_set','quota_claimed'))`);
  }
}
