import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * R-AUDIT-1, R-LEDGER-1: what a region paid of its matching (R-MATCH-1) and the cross-province
 * statement of a paid run (R-CLEAR-1) are records auditors rely on; like the bank's reports and
 * the audit log they are never changed or removed (a correction is a new record). Until now only
 * the code refrained from it.
 */
export class SettlementAppendOnlyRecords1764000000433 implements MigrationInterface {
  name = 'SettlementAppendOnlyRecords1764000000433';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE FUNCTION settlement.records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: correct with a new record', TG_TABLE_NAME;
      END $$`);
    for (const table of ['matching_payments', 'statement_lines']) {
      await q.query(`CREATE TRIGGER ${table}_no_update BEFORE UPDATE OR DELETE ON settlement.${table}
        FOR EACH ROW EXECUTE FUNCTION settlement.records_append_only()`);
      await q.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON settlement.${table}
        FOR EACH STATEMENT EXECUTE FUNCTION settlement.records_append_only()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['matching_payments', 'statement_lines']) {
      await q.query(`DROP TRIGGER ${table}_no_truncate ON settlement.${table}`);
      await q.query(`DROP TRIGGER ${table}_no_update ON settlement.${table}`);
    }
    await q.query(`DROP FUNCTION settlement.records_append_only`);
  }
}
