import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry sends a heartbeat for the copies others keep of its providers (libs/platform, copies.ts) every few
 * seconds; published ones are removed after a while, found by this index.
 */
export class RegistryHeartbeats1764000000003 implements MigrationInterface {
  name = 'RegistryHeartbeats1764000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX outbox_heartbeats ON registry.outbox (published_at) WHERE subject = 'voucher.events.provider.heartbeat'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX registry.outbox_heartbeats`);
  }
}
