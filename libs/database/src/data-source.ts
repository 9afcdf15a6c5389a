import { types } from 'pg';
import { DataSource, EntityManager, MigrationExecutor, MixedList } from 'typeorm';

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
  /** how long to wait for a connection (a new one, or a free one of a full pool); default 5 s */
  connectTimeoutMs?: number;
  /** the server cancels a statement running longer (0 = never); default 30 s */
  statementTimeoutMs?: number;
}

/** Defaults of the pool's timeouts (AppConfig's DB_CONNECT_TIMEOUT_MS and DB_STATEMENT_TIMEOUT_MS). */
export const DB_TIMEOUTS = { connectMs: 5000, statementMs: 30000 } as const;

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
    // Without a connect timeout, a connect to a server that does not answer (stopped, or a port
    // taken by something else) waits for ever and so does whatever waits for the pool. The
    // statement timeout bounds what a request can hold (locks, a connection) on a server that is
    // slow; an idle transaction left open by a client that froze is ended by the server. TCP
    // keepalive finds a server that vanished without closing the connection (a failover).
    extra: {
      max: options.poolSize,
      idleTimeoutMillis: 30000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DB_TIMEOUTS.connectMs,
      statement_timeout: options.statementTimeoutMs ?? DB_TIMEOUTS.statementMs,
      idle_in_transaction_session_timeout: Math.max(120000, 4 * (options.statementTimeoutMs ?? DB_TIMEOUTS.statementMs)),
      keepAlive: true,
      keepAliveInitialDelayMillis: 10000,
    },
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
    // A migration may rewrite a large table: the pool's statement timeout is for requests, not for it.
    await runner.query('SET statement_timeout = 0');
    const executor = new MigrationExecutor(ds, runner);
    executor.transaction = 'each';
    await executor.executePendingMigrations();
    await runner.query('RESET statement_timeout');
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
