import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A provider's version, raised with every event about it (providerEvent): the events carry the
 * provider's whole state, and redemption keeps the one with the highest version, so that an older
 * event delivered late (another replica, a redelivery) cannot undo a suspension or a revocation
 * (R-REG-3, R-REG-4).
 */
export class RegistryProviderVersion1764000000002 implements MigrationInterface {
  name = 'RegistryProviderVersion1764000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registry.providers ADD COLUMN version bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registry.providers DROP COLUMN version`);
  }
}
