import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A region's version, 1 when registered and raised by every change under the region's row lock;
 * region events carry it, and settlement keeps the newest region (its matching ratio decides what
 * the region owes, R-MATCH-1) whatever order the events arrive in.
 */
export class IssuanceRegionVersion1764000000103 implements MigrationInterface {
  name = 'IssuanceRegionVersion1764000000103';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE issuance.regions ADD COLUMN version bigint NOT NULL DEFAULT 1`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE issuance.regions DROP COLUMN version`);
  }
}
