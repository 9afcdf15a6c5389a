import 'reflect-metadata';
import { createServiceDataSource, migrate } from '@vc/database';
import { settlementMigrations } from '../apps/settlement/src/migrations';
async function main() {
  const url = process.argv[2];
  const ds = createServiceDataSource({ url, schema: 'settlement', migrations: settlementMigrations, poolSize: 3, applicationName: 'perf' });
  await ds.initialize();
  await migrate(ds, 'settlement');
  await ds.destroy();
}
main();
