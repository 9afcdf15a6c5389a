import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * After a run moves all its claims (collected, approved) it refreshes the planner's statistics of
 * the two columns it changed, run_id and state (refreshClaimStatistics). ANALYZE samples 300 rows
 * per unit of the largest statistics target among the columns it analyses: at the default (100)
 * that is 30,000 random rows, a third of a million-claim table's pages. The plans that follow only
 * need to know that most rows of the table now belong to the run and are in its new state, which
 * 3,000 rows tell as well (target 10).
 */
export class SettlementClaimStatistics1764000000405 implements MigrationInterface {
  name = 'SettlementClaimStatistics1764000000405';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.claims ALTER COLUMN run_id SET STATISTICS 10, ALTER COLUMN state SET STATISTICS 10`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.claims ALTER COLUMN run_id SET STATISTICS -1, ALTER COLUMN state SET STATISTICS -1`);
  }
}
