import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * R-OFFSET-2: a refusal is a request's answer too. A final refusal is stored under the request's
 * idempotency key, as the error's wire body (reply NULL), and every retry with that key gets it
 * (libs/database, runIdempotent).
 */
export class SettlementStoredRefusals1764000000422 implements MigrationInterface {
  name = 'SettlementStoredRefusals1764000000422';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.idempotency ADD COLUMN refusal jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.idempotency DROP COLUMN refusal`);
  }
}
