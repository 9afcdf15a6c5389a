import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Principal } from '@vc/contracts';
import { addToOutbox, audit, AuditEntry, NewEvent, priorReply, queryRows, retryOnConflict, runIdempotent, Tx } from '@vc/database';
import { Outbox } from './database.provider';
import { SERVICE_DEFINITION, ServiceDefinition } from './service-definition';

/** One business transaction: its SQL, the events it emits (outbox) and its audit records. */
export class Work {
  private emitted = 0;

  constructor(readonly tx: Tx, readonly schema: string, readonly principal: Principal) {}

  query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    return queryRows<T>(this.tx, sql, params);
  }

  async one<T = any>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    const rows = await queryRows<T>(this.tx, sql, params);
    return rows[0];
  }

  async emit<T>(event: NewEvent<T>): Promise<void> {
    this.emitted++;
    await addToOutbox(this.tx, this.schema, event);
  }

  audit(entry: Omit<AuditEntry, 'principal'>): Promise<void> {
    return audit(this.tx, this.schema, { principal: this.principal, ...entry });
  }

  get emittedEvents(): number {
    return this.emitted;
  }
}

/**
 * Transactions of requests and jobs: each runs again, a bounded number of times, when it lost to a
 * concurrent one (a deadlock, a serialisation failure, a unique key inserted by a concurrent
 * request between a check and an insert: `retryOnConflict`), so that two requests racing for one
 * object get the answers the rules give, not a server error. Everything a transaction does is
 * rolled back before it runs again.
 */
/**
 * The idempotency scope of an operation by a principal: a key is one principal's (role,
 * organisation, user), so that two callers' keys never meet. UnitOfWork.idempotent and the
 * payment paths, which write the same store from SQL, both use it.
 */
export function idempotencyScope(principal: Pick<Principal, 'role' | 'org' | 'sub'>, operation: string): string {
  return `${operation}:${principal.role}:${principal.org}:${principal.sub}`;
}

@Injectable()
export class UnitOfWork {
  private readonly logger = new Logger('UnitOfWork');

  constructor(
    readonly ds: DataSource,
    private readonly outbox: Outbox,
    @Inject(SERVICE_DEFINITION) private readonly def: ServiceDefinition,
  ) {}

  get schema(): string {
    return this.def.schema;
  }

  /**
   * A mutation run exactly once per idempotency key (scoped to the principal and the operation);
   * retries get the stored first reply.
   */
  async idempotent<R>(
    principal: Principal,
    operation: string,
    key: string | undefined,
    body: unknown,
    fn: (work: Work) => Promise<R>,
  ): Promise<any> {
    const reply = await this.retrying(operation, () =>
      runIdempotent(this.ds, this.def.schema, this.scopeOf(principal, operation), key, body, (tx) => fn(new Work(tx, this.def.schema, principal))),
    );
    this.outbox.nudge();
    return reply;
  }

  /**
   * An effect that is idempotent by its state and spans several transactions (a resumable run),
   * with an optional idempotency key: a key already answered returns its first reply without
   * running again (another body under it is refused before anything runs); a new key runs the
   * effect and stores its reply (a concurrent twin that stored first wins, as with `idempotent`).
   */
  async idempotentByState<R>(principal: Principal, operation: string, key: string | undefined, body: unknown, fn: () => Promise<R>): Promise<any> {
    if (key === undefined) return fn();
    const scope = this.scopeOf(principal, operation);
    const prior = await priorReply(this.ds.manager, this.def.schema, scope, key, body);
    if (prior) return prior.reply;
    const result = await fn();
    return this.retrying(operation, () => runIdempotent(this.ds, this.def.schema, scope, key, body, async () => result));
  }

  private scopeOf(principal: Principal, operation: string): string {
    return idempotencyScope(principal, operation);
  }

  /** A transaction without an idempotency key (jobs and consumers that are idempotent by state). */
  async run<R>(principal: Principal, fn: (work: Work) => Promise<R>): Promise<R> {
    const result = await this.retrying('transaction', () => this.ds.transaction((tx) => fn(new Work(tx, this.def.schema, principal))));
    this.outbox.nudge();
    return result;
  }

  private retrying<R>(operation: string, transaction: () => Promise<R>): Promise<R> {
    return retryOnConflict(transaction, {
      onRetry: (state, attempt) => this.logger.warn(`${operation}: attempt ${attempt} lost to a concurrent transaction (SQLSTATE ${state}); running it again`),
    });
  }

  query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    return queryRows<T>(this.ds.manager, sql, params);
  }

  /**
   * Reads in one REPEATABLE READ, READ ONLY transaction: every statement of `fn` sees the same
   * moment (a document read in pages, its totals, the same document in several formats).
   */
  snapshot<R>(fn: (read: <T = any>(sql: string, params?: unknown[]) => Promise<T[]>, tx: Tx) => Promise<R>): Promise<R> {
    return this.ds.transaction('REPEATABLE READ', async (tx) => {
      await tx.query('SET TRANSACTION READ ONLY');
      return fn((sql, params = []) => queryRows(tx, sql, params), tx);
    });
  }
}
