import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Settlement's claim events carry a thousand claims each (ADR 0005), about 90 kB of envelope, so
 * every one is compressed out of line. lz4 compresses them several times faster than the default
 * pglz; a million-claim run writes a thousand such events at each of review and payment.
 */
export class SettlementOutboxLz41764000000403 implements MigrationInterface {
  name = 'SettlementOutboxLz41764000000403';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.outbox ALTER COLUMN envelope SET COMPRESSION lz4`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.outbox ALTER COLUMN envelope SET COMPRESSION default`);
  }
}
