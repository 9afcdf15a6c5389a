import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * R-OFFSET-2: a refusal is a request's answer too. A final refusal is stored under the request's
 * idempotency key, as the error's wire body (reply NULL), and every retry with that key gets it
 * (libs/database, runIdempotent).
 */
export class IssuanceStoredRefusals1764000000108 implements MigrationInterface {
  name = 'IssuanceStoredRefusals1764000000108';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE issuance.idempotency ADD COLUMN refusal jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE issuance.idempotency DROP COLUMN refusal`);
  }
}
