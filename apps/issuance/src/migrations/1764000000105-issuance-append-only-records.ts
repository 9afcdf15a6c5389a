import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * R-AUDIT-1, R-LEDGER-1: a quota claim is a record of money promised to an enterprise, kept beside
 * its ledger entry; like the ledger and the audit log it is never changed or removed (a
 * correction is a new record). Until now only the code refrained from it.
 */
export class IssuanceAppendOnlyRecords1764000000105 implements MigrationInterface {
  name = 'IssuanceAppendOnlyRecords1764000000105';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION issuance.records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: correct with a new record', TG_TABLE_NAME;
      END $$`);
    await q.query(`CREATE TRIGGER quota_claims_no_update BEFORE UPDATE OR DELETE ON issuance.quota_claims
      FOR EACH ROW EXECUTE FUNCTION issuance.records_append_only()`);
    await q.query(`CREATE TRIGGER quota_claims_no_truncate BEFORE TRUNCATE ON issuance.quota_claims
      FOR EACH STATEMENT EXECUTE FUNCTION issuance.records_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER quota_claims_no_truncate ON issuance.quota_claims`);
    await q.query(`DROP TRIGGER quota_claims_no_update ON issuance.quota_claims`);
    await q.query(`DROP FUNCTION issuance.records_append_only`);
  }
}
