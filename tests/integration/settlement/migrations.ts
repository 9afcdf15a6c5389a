import { createServiceDataSource, migrate } from '@vc/database';
import { settlementMigrations } from '../../../apps/settlement/src/migrations';

/** Runs settlement's first `count` migrations on a test database (a schema as an older build left it). */
export async function migrateSettlement(url: string, count: number): Promise<void> {
  const ds = createServiceDataSource({ url, schema: 'settlement', migrations: settlementMigrations.slice(0, count), poolSize: 2, applicationName: 'migration-test' });
  await ds.initialize();
  try {
    await migrate(ds, 'settlement');
  } finally {
    await ds.destroy();
  }
}

/** Undoes the last settlement migration that ran on a test database. */
export async function undoLastSettlementMigration(url: string): Promise<void> {
  const ds = createServiceDataSource({ url, schema: 'settlement', migrations: settlementMigrations, poolSize: 2, applicationName: 'migration-test' });
  await ds.initialize();
  try {
    await ds.undoLastMigration({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
