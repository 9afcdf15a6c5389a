import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issuance sends a heartbeat for the copies others keep of its programmes (libs/platform, copies.ts) every few
 * seconds; published ones are removed after a while, found by this index.
 */
export class IssuanceHeartbeats1764000000107 implements MigrationInterface {
  name = 'IssuanceHeartbeats1764000000107';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX outbox_heartbeats ON issuance.outbox (published_at) WHERE subject = 'voucher.events.programme.heartbeat'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX issuance.outbox_heartbeats`);
  }
}
