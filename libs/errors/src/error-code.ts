/**
 * Every refusal the system can give, with a stable machine-readable code (R-ERR-1).
 * Add a code here and a row in ERROR_TABLE; nothing else builds error responses.
 */
export enum ErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  MALFORMED_REQUEST = 'MALFORMED_REQUEST',
  INVALID_CREDIT_CODE = 'INVALID_CREDIT_CODE',
  INVALID_AMOUNT = 'INVALID_AMOUNT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  ALREADY_EXISTS = 'ALREADY_EXISTS',
  ILLEGAL_STATE = 'ILLEGAL_STATE',
  IDEMPOTENCY_KEY_REQUIRED = 'IDEMPOTENCY_KEY_REQUIRED',
  IDEMPOTENCY_CONFLICT = 'IDEMPOTENCY_CONFLICT',
  RATE_LIMITED = 'RATE_LIMITED',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  // registry
  PROVIDER_NOT_ACTIVE = 'PROVIDER_NOT_ACTIVE',
  PROVIDER_EXCLUDED = 'PROVIDER_EXCLUDED',
  CREDIT_REPAIR_TOO_EARLY = 'CREDIT_REPAIR_TOO_EARLY',
  // issuance
  PROGRAMME_NOT_OPEN = 'PROGRAMME_NOT_OPEN',
  PROGRAMME_FROZEN = 'PROGRAMME_FROZEN',
  REGION_WITHDRAWN = 'REGION_WITHDRAWN',
  REGION_DEFAULTING = 'REGION_DEFAULTING',
  ENTERPRISE_NOT_APPROVED = 'ENTERPRISE_NOT_APPROVED',
  SME_REGISTRATION_MISSING = 'SME_REGISTRATION_MISSING',
  QUOTA_CAP_EXCEEDED = 'QUOTA_CAP_EXCEEDED',
  // redemption
  QUOTA_EXHAUSTED = 'QUOTA_EXHAUSTED',
  BUDGET_EXHAUSTED = 'BUDGET_EXHAUSTED',
  SAME_LEGAL_ENTITY = 'SAME_LEGAL_ENTITY',
  INVOICE_AMOUNT_MISMATCH = 'INVOICE_AMOUNT_MISMATCH',
  BANK_AMOUNT_INSUFFICIENT = 'BANK_AMOUNT_INSUFFICIENT',
  DUPLICATE_INVOICE = 'DUPLICATE_INVOICE',
  CLAIM_EXISTS = 'CLAIM_EXISTS',
  // settlement
  PUBLICITY_CLOSED = 'PUBLICITY_CLOSED',
  RUN_LOCKED = 'RUN_LOCKED',
  CALENDAR_YEAR_MISSING = 'CALENDAR_YEAR_MISSING',
  PUBLICITY_OPEN = 'PUBLICITY_OPEN',
  QUARTER_NOT_ENDED = 'QUARTER_NOT_ENDED',
  REVIEW_INCOMPLETE = 'REVIEW_INCOMPLETE',
  MATCHING_OVERPAID = 'MATCHING_OVERPAID',
  YEAR_NOT_CLOSED = 'YEAR_NOT_CLOSED',
  RUN_COUNTERS_DIFFER = 'RUN_COUNTERS_DIFFER',
  /** a payment file needs the paying programme's bank account, which is not on file */
  BANK_ACCOUNT_MISSING = 'BANK_ACCOUNT_MISSING',
  /** settlement's claims to pay differ from redemption's own records of them: no money leaves */
  CLAIMS_DISAGREE = 'CLAIMS_DISAGREE',
  /** the publicity desk takes no more objections: from this address today, or on this claim while so many are open */
  OBJECTION_LIMIT = 'OBJECTION_LIMIT',
  // copies of another service's state (ADR 0003)
  /** the copy a decision needs is older than the service's bound: retry once it has caught up */
  COPY_STALE = 'COPY_STALE',
  /** data a decision needs from another service has not arrived (or never will, until it is sent) */
  COPY_MISSING = 'COPY_MISSING',
  // infrastructure
  UNAVAILABLE = 'UNAVAILABLE',
  INTERNAL = 'INTERNAL',
}

/** gRPC status codes (numeric, as in the gRPC spec) so this lib needs no gRPC import. */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface ErrorMapping {
  http: number;
  grpc: number;
  /** true when retrying the same request later may succeed (used by clients and the outbox). */
  retryable: boolean;
  /**
   * true when the refusal is the request's answer (R-OFFSET-2): what the service decided about a
   * well-formed request against the state it found, stored under the request's idempotency key and
   * given to every retry with that key. false when the request never got that far — its input or
   * its principal refused, its target not found (a copy may not have it yet) — or the refusal is
   * retryable: the service could not decide now (unreachable, stale or missing data, not yet time,
   * throttled, locked by another process). Nothing is stored then, and a retry may take effect.
   */
  final: boolean;
}

/**
 * Refusals of the request itself, before anything is decided about it (see ErrorMapping.final); a
 * refusal that is retryable is not a decision either: the service could not decide now.
 */
const REQUEST_REFUSALS: ReadonlySet<string> = new Set([
  'VALIDATION_FAILED',
  'MALFORMED_REQUEST',
  'INVALID_CREDIT_CODE',
  'INVALID_AMOUNT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'IDEMPOTENCY_KEY_REQUIRED',
  'IDEMPOTENCY_CONFLICT',
  'PAYLOAD_TOO_LARGE',
]);

const TABLE: Record<ErrorCode, Omit<ErrorMapping, 'final'>> = {
  VALIDATION_FAILED: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  MALFORMED_REQUEST: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  INVALID_CREDIT_CODE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  INVALID_AMOUNT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED, retryable: false },
  FORBIDDEN: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED, retryable: false },
  NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND, retryable: false },
  ALREADY_EXISTS: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, retryable: false },
  ILLEGAL_STATE: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  IDEMPOTENCY_KEY_REQUIRED: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  IDEMPOTENCY_CONFLICT: { http: 409, grpc: GrpcStatus.ABORTED, retryable: false },
  RATE_LIMITED: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, retryable: true },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  PROVIDER_NOT_ACTIVE: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  PROVIDER_EXCLUDED: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  CREDIT_REPAIR_TOO_EARLY: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  PROGRAMME_NOT_OPEN: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  PROGRAMME_FROZEN: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  REGION_WITHDRAWN: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  REGION_DEFAULTING: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  ENTERPRISE_NOT_APPROVED: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  SME_REGISTRATION_MISSING: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  QUOTA_CAP_EXCEEDED: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  QUOTA_EXHAUSTED: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  BUDGET_EXHAUSTED: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  SAME_LEGAL_ENTITY: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  INVOICE_AMOUNT_MISMATCH: { http: 422, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  BANK_AMOUNT_INSUFFICIENT: { http: 422, grpc: GrpcStatus.INVALID_ARGUMENT, retryable: false },
  DUPLICATE_INVOICE: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, retryable: false },
  CLAIM_EXISTS: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS, retryable: false },
  PUBLICITY_CLOSED: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  RUN_LOCKED: { http: 409, grpc: GrpcStatus.ABORTED, retryable: true },
  CALENDAR_YEAR_MISSING: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: true },
  PUBLICITY_OPEN: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: true },
  QUARTER_NOT_ENDED: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: true },
  REVIEW_INCOMPLETE: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  MATCHING_OVERPAID: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  YEAR_NOT_CLOSED: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: true },
  RUN_COUNTERS_DIFFER: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: false },
  BANK_ACCOUNT_MISSING: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: true },
  CLAIMS_DISAGREE: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: true },
  OBJECTION_LIMIT: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED, retryable: false },
  COPY_STALE: { http: 503, grpc: GrpcStatus.UNAVAILABLE, retryable: true },
  COPY_MISSING: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION, retryable: true },
  UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE, retryable: true },
  INTERNAL: { http: 500, grpc: GrpcStatus.INTERNAL, retryable: true },
};

export const ERROR_TABLE: Record<ErrorCode, ErrorMapping> = Object.fromEntries(
  (Object.keys(TABLE) as ErrorCode[]).map((code) => [code, { ...TABLE[code], final: !TABLE[code].retryable && !REQUEST_REFUSALS.has(code) }]),
) as Record<ErrorCode, ErrorMapping>;
