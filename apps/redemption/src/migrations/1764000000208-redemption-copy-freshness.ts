import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How fresh redemption's copies of other services' state are (libs/platform, copies.ts): the heartbeats
 * applied with their stream sequence, and per copy the instant as of which it holds every event of
 * its owner (the newest heartbeat with every event before it applied).
 */
export class RedemptionCopyFreshness1764000000208 implements MigrationInterface {
  name = 'RedemptionCopyFreshness1764000000208';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE redemption.copy_heartbeats (
        copy text NOT NULL,
        stream_seq bigint NOT NULL,
        emitted_at timestamptz NOT NULL,
        PRIMARY KEY (copy, stream_seq)
      )`);
    await q.query(`
      CREATE TABLE redemption.copy_freshness (
        copy text PRIMARY KEY,
        fresh_as_of timestamptz,
        heartbeat_seq bigint,
        checked_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE redemption.copy_freshness`);
    await q.query(`DROP TABLE redemption.copy_heartbeats`);
  }
}
