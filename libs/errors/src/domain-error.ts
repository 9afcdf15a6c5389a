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

/** Turns anything thrown into a DomainError without leaking internals (no stack, no SQL). */
export function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  return new DomainError(ErrorCode.INTERNAL);
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as ErrorBody).code === 'string' &&
    typeof (value as ErrorBody).message === 'string';
}
