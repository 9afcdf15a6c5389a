import { ERROR_TABLE, ErrorCode } from './error-code';

/** The one wire shape of an error, identical over HTTP, gRPC (in details) and NATS. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}

export interface DomainErrorOptions {
  field?: string;
  message?: string;
  details?: Record<string, unknown>;
}

const DEFAULT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.NOT_FOUND]: 'no such object',
  [ErrorCode.FORBIDDEN]: 'not allowed for this principal',
  [ErrorCode.UNAUTHENTICATED]: 'a valid bearer token is required',
  [ErrorCode.INTERNAL]: 'internal error',
};

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, options: DomainErrorOptions = {}) {
    super(options.message ?? DEFAULT_MESSAGES[code] ?? code.toLowerCase().replace(/_/g, ' '));
    this.name = 'DomainError';
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }

  get grpcStatus(): number {
    return ERROR_TABLE[this.code].grpc;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.field !== undefined) body.field = this.field;
    if (this.details !== undefined) body.details = this.details;
    return body;
  }

  static fromBody(body: ErrorBody): DomainError {
    const code = (Object.values(ErrorCode) as string[]).includes(body.code) ? body.code : ErrorCode.INTERNAL;
    return new DomainError(code, { message: body.message, field: body.field, details: body.details });
  }
}

/**
 * Turns anything thrown into a DomainError without leaking internals (no stack, no SQL). A database
 * that cannot be reached or cannot serve now is UNAVAILABLE (retryable), not INTERNAL.
 */
export function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (isDatabaseUnavailable(err)) return new DomainError(ErrorCode.UNAVAILABLE, { message: 'the database is unavailable; retry with the same Idempotency-Key' });
  const duplicate = uniqueViolation(err);
  if (duplicate) return duplicate;
  return new DomainError(ErrorCode.INTERNAL);
}

/**
 * A unique violation (23505) that reached the edge: a concurrent request created the same object
 * between this request's check and its insert, and running the transaction again (UnitOfWork) met
 * it once more. ALREADY_EXISTS, with the field named after the key's last column, never INTERNAL;
 * the key's values are not repeated back.
 */
export function uniqueViolation(err: unknown, depth = 0): DomainError | undefined {
  if (err === null || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as { code?: unknown; detail?: unknown; driverError?: unknown; cause?: unknown };
  if (e.code === '23505') {
    const columns = typeof e.detail === 'string' ? /^Key \((.+?)\)=/.exec(e.detail)?.[1] : undefined;
    const last = columns?.split(',').pop()?.trim();
    const field = last && /^[a-z_][a-z0-9_]*$/.test(last) ? last.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) : undefined;
    return new DomainError(ErrorCode.ALREADY_EXISTS, { field, message: 'this already exists: a concurrent request created it first' });
  }
  return uniqueViolation(e.driverError, depth + 1) ?? uniqueViolation(e.cause, depth + 1);
}

/**
 * SQLSTATEs that say the server cannot serve now, not that the request is wrong: connection
 * exceptions (class 08), insufficient resources (class 53: too many connections, disk full), the
 * server shutting down, crashed or still starting (57P01-57P03), a statement cancelled by its
 * timeout (57014), a write sent to a standby (25006, read-only: a failover not yet followed), and
 * transaction conflicts a retry resolves (40001, 40P01, 55P03).
 */
const UNAVAILABLE_SQLSTATES = /^(08...|53...|57P0[1-3]|57014|25006|40001|40P01|55P03)$/;

/** Socket errors of a connection that could not be made or was lost. */
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

/** TypeORM's errors for a query runner or data source whose connection is gone. */
const UNAVAILABLE_ERROR_NAMES = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError', 'ConnectionIsNotSetError', 'CannotExecuteNotConnectedError', 'ConnectionNotFoundError']);

/** node-postgres reports these without a code. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'Query read timeout',
];

/**
 * Whether an error says that PostgreSQL cannot be reached or cannot serve now (so the same request
 * may succeed later): as thrown by node-postgres, by TypeORM (also wrapped, as `driverError`), or
 * by Node's sockets (also inside an AggregateError or as a `cause`).
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 4) return false;
  const e = err as { name?: unknown; code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
  if (typeof e.name === 'string' && UNAVAILABLE_ERROR_NAMES.has(e.name)) return true;
  if (typeof e.message === 'string' && code === '' && UNAVAILABLE_MESSAGES.some((m) => (e.message as string).includes(m))) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.driverError, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1);
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as ErrorBody).code === 'string' &&
    typeof (value as ErrorBody).message === 'string';
}
