import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run's instructions of every kind, found by run: the run view counts them by bank status
 * (`runPayments`), the pain.001 file and the instruction list read them. Migration 1764000000412
 * replaced the unique (run, payee) constraint by a partial index over the run's own instructions,
 * which a query over all of them cannot use.
 */
export class SettlementInstructionsByRun1764000000413 implements MigrationInterface {
  name = 'SettlementInstructionsByRun1764000000413';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX instructions_run ON settlement.instructions (run_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX settlement.instructions_run`);
  }
}
