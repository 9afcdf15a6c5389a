import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The version of issuance's region each row holds (issuance migration 1764000000103): a region
 * event is applied only if it is newer, so an older one delivered late cannot put back an old
 * matching ratio or status (R-MATCH-1). Rows written from unversioned events keep 0.
 */
export class SettlementRegionVersion1764000000410 implements MigrationInterface {
  name = 'SettlementRegionVersion1764000000410';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.regions ADD COLUMN version bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.regions DROP COLUMN version`);
  }
}
