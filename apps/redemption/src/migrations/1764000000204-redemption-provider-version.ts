import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The version of the registry's state each provider row holds (registry migration
 * 1764000000002): the projection applies a provider event only if it is newer, so an event
 * delivered late cannot undo a suspension, a revocation or an exclusion (R-REG-2..4). Rows
 * written from unversioned events keep 0.
 */
export class RedemptionProviderVersion1764000000204 implements MigrationInterface {
  name = 'RedemptionProviderVersion1764000000204';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE redemption.providers ADD COLUMN version bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE redemption.providers DROP COLUMN version`);
  }
}
