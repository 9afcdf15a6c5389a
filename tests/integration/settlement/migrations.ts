import { createServiceDataSource, migrate } from '@vc/database';
import { sql } from '@vc/testing';
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

/** A run of JS-2026 as a migration test needs it: the columns every migration has. */
export async function insertRun(url: string, id: string, quarter: string, state: string): Promise<void> {
  await sql(
    url,
    `INSERT INTO settlement.runs (id, programme_id, province, quarter, quarter_end, state, seed, sample_rate_bp, created_by)
     VALUES ($1, 'JS-2026', 'JS', $2, '2026-10-01T00:00:00+08:00', $3, 'seed', 500, 'op')`,
    [id, quarter, state],
  );
}
