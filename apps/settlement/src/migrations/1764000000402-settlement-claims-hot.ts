import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run moves each of its claims three times (collected, decided, paid). Collection changes the
 * indexed run_id, so it writes index entries anyway; review and payment change only columns that
 * are in no index (collection now also sets last_run_id, which the sent-back index names), and
 * with half of every page kept free their new row versions stay on the same page: HOT updates that
 * write no index entry. Measured on a million-claim run (docs/performance.md).
 */
export class SettlementClaimsHot1764000000402 implements MigrationInterface {
  name = 'SettlementClaimsHot1764000000402';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.claims SET (fillfactor = 50)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.claims SET (fillfactor = 80)`);
  }
}
