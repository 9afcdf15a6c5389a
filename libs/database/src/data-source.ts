import { types } from 'pg';
import { DataSource, EntityManager, MixedList } from 'typeorm';

// int8 columns (money in fen, counts) arrive as bigint, never as a float or a lossy number.
types.setTypeParser(types.builtins.INT8, (value: string) => BigInt(value));

export interface ServiceDataSourceOptions {
  url: string;
  /** the service's own PostgreSQL schema; no service touches another's */
  schema: string;
  migrations: MixedList<Function>;
  entities?: MixedList<Function>;
  poolSize: number;
  applicationName: string;
}

export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName,
    extra: { max: options.poolSize, idleTimeoutMillis: 30000 },
  });
}

/** Stable 32-bit key for pg advisory locks derived from a name. */
export function advisoryKey(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * Creates the schema and runs pending migrations, serialised by an advisory lock so that
 * several instances of one service can boot at the same time.
 */
export async function migrate(ds: DataSource, schema: string): Promise<void> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [advisoryKey(`migrate:${schema}`)]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [advisoryKey(`migrate:${schema}`)]).catch(() => undefined);
    await runner.release();
  }
}

export type Tx = EntityManager;

/**
 * Rows of any statement. TypeORM's `query()` answers an UPDATE/DELETE … RETURNING with
 * `[rows, count]`; this always gives the rows.
 */
export async function queryRows<T = any>(tx: Tx, sql: string, params: unknown[] = []): Promise<T[]> {
  if (tx.queryRunner) {
    const result = await tx.queryRunner.query(sql, params, true);
    return result.records as T[];
  }
  const runner = tx.connection.createQueryRunner();
  try {
    return (await runner.query(sql, params, true)).records as T[];
  } finally {
    await runner.release();
  }
}
