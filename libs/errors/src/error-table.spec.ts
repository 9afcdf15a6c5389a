import { DatabaseError } from 'pg-protocol';
import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { DomainError, ERROR_TABLE, ErrorCode, isDatabaseUnavailable, toDomainError } from './index';

describe('error table', () => {
  it('R-ERR-1: maps every code to a 4xx/5xx HTTP status and a non-OK gRPC status', () => {
    for (const code of Object.values(ErrorCode)) {
      const row = ERROR_TABLE[code];
      expect(row.http).toBeGreaterThanOrEqual(400);
      expect(row.http).toBeLessThan(600);
      expect(row.grpc).toBeGreaterThan(0);
    }
  });

  it('R-OFFSET-2: a decision on the request is its stored answer; bad input and a service that could not decide are not', () => {
    const final = (Object.values(ErrorCode) as ErrorCode[]).filter((c) => ERROR_TABLE[c].final);
    expect(final).toEqual(expect.arrayContaining([ErrorCode.QUOTA_EXHAUSTED, ErrorCode.BUDGET_EXHAUSTED, ErrorCode.PROVIDER_NOT_ACTIVE, ErrorCode.ILLEGAL_STATE, ErrorCode.DUPLICATE_INVOICE]));
    for (const c of [ErrorCode.VALIDATION_FAILED, ErrorCode.NOT_FOUND, ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL, ErrorCode.COPY_STALE, ErrorCode.RUN_LOCKED, ErrorCode.RATE_LIMITED]) {
      expect([c, ERROR_TABLE[c].final]).toEqual([c, false]);
    }
    // a failure on the service's side is never a request's answer
    for (const c of Object.values(ErrorCode)) if (ERROR_TABLE[c].http >= 500) expect([c, ERROR_TABLE[c].final]).toEqual([c, false]);
  });

  it('R-ERR-1: carries code, message and field in one wire body', () => {
    const err = new DomainError(ErrorCode.INVALID_CREDIT_CODE, { field: 'creditCode', message: 'check character does not verify' });
    expect(err.toBody()).toEqual({ code: 'INVALID_CREDIT_CODE', message: 'check character does not verify', field: 'creditCode' });
    expect(DomainError.fromBody(err.toBody()).toBody()).toEqual(err.toBody());
  });

  it('R-ERR-1: never leaks an unexpected error message', () => {
    const leaked = toDomainError(new Error('relation "x" does not exist at character 15'));
    expect(leaked.code).toBe(ErrorCode.INTERNAL);
    expect(leaked.message).not.toMatch(/relation/);
  });
});

describe('a database out of reach is UNAVAILABLE, not INTERNAL (R-ERR-1)', () => {
  // the errors as node-postgres, TypeORM and Node's sockets raise them
  const sqlstate = (code: string, message = 'x') => Object.assign(new DatabaseError(message, 0, 'error'), { code });
  const socket = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:15432`), { code, errno: -111, syscall: 'connect' });

  it.each([
    ['connection refused', socket('ECONNREFUSED')],
    ['connection reset', socket('ECONNRESET')],
    ['every address refused (AggregateError)', Object.assign(new AggregateError([socket('ECONNREFUSED'), socket('ECONNREFUSED')]), { code: 'ECONNREFUSED' })],
    ['connection terminated (node-postgres)', new Error('Connection terminated unexpectedly')],
    ['connect timeout (node-postgres)', new Error('Connection terminated due to connection timeout')],
    ['pool wait timeout (pg-pool)', new Error('timeout exceeded when trying to connect')],
    ['client broken (node-postgres)', new Error('Client has encountered a connection error and is not queryable')],
    ['query runner released (TypeORM)', new QueryRunnerAlreadyReleasedError()],
    ['the connection of a transaction released (TypeORM)', new QueryRunnerProviderAlreadyReleasedError()],
    ['server shutting down (57P01)', sqlstate('57P01', 'terminating connection due to administrator command')],
    ['server crashed (57P02)', sqlstate('57P02')],
    ['server starting (57P03)', sqlstate('57P03', 'the database system is starting up')],
    ['too many connections (53300)', sqlstate('53300')],
    ['statement timeout (57014)', sqlstate('57014', 'canceling statement due to statement timeout')],
    ['a write on a standby (25006)', sqlstate('25006', 'cannot execute INSERT in a read-only transaction')],
    ['connection failure (08006)', sqlstate('08006')],
    ['wrapped by TypeORM', new QueryFailedError('SELECT 1', [], sqlstate('57P01'))],
    ['as a cause', new Error('outer', { cause: socket('ECONNREFUSED') })],
  ])('%s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
    const mapped = toDomainError(err);
    expect(mapped.code).toBe(ErrorCode.UNAVAILABLE);
    expect(mapped.httpStatus).toBe(503);
    expect(ERROR_TABLE[mapped.code].retryable).toBe(true);
    expect(mapped.message).not.toMatch(/127\.0\.0\.1|SELECT|terminat/);
  });

  it.each([
    ['a SQL error of the request', sqlstate('42P01', 'relation "x" does not exist')],
    ['a bug', new TypeError('cannot read properties of undefined')],
    ['a message that only mentions a connection', Object.assign(new Error('Connection terminated'), { code: 'ERR_SOMETHING' })],
    ['an AggregateError of mixed causes', new AggregateError([socket('ECONNREFUSED'), new TypeError('x')])],
  ])('but not %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(toDomainError(err).code).toBe(ErrorCode.INTERNAL);
  });
});

describe('a unique violation that reached the edge is ALREADY_EXISTS with the field, not INTERNAL (R-ERR-1)', () => {
  const violation = (detail?: string) =>
    Object.assign(new DatabaseError('duplicate key value violates unique constraint "sme_registrations_number"', 0, 'error'), { code: '23505', detail, constraint: 'sme_registrations_number' });

  it('names the last column of the key as the field, and never repeats the values', () => {
    const mapped = toDomainError(violation('Key (year, registration_number)=(2026, 20263205000123) already exists.'));
    expect(mapped.toBody()).toEqual({ code: 'ALREADY_EXISTS', field: 'registrationNumber', message: 'this already exists: a concurrent request created it first' });
    expect(mapped.httpStatus).toBe(409);
    expect(JSON.stringify(mapped.toBody())).not.toMatch(/20263205000123|sme_registrations/);
  });

  it('as TypeORM wraps it, and without a detail (no field then)', () => {
    expect(toDomainError(new QueryFailedError('INSERT ...', [], violation('Key (digest)=(ab12) already exists.'))).toBody()).toMatchObject({ code: 'ALREADY_EXISTS', field: 'digest' });
    expect(toDomainError(violation()).toBody()).toEqual({ code: 'ALREADY_EXISTS', message: 'this already exists: a concurrent request created it first' });
    // an expression index names no column
    expect(toDomainError(violation('Key (lower(name))=(x) already exists.')).field).toBeUndefined();
  });
});
