/**
 * A provider system's client for the VoucherRedemption gRPC service (voucher_redemption.proto),
 * with nothing but @grpc/grpc-js and @grpc/proto-loader. Money is int64 fen: pass bigint or a
 * decimal string; replies carry it as decimal strings. Refusals reject with a RedemptionError.
 */
import { ChannelCredentials, credentials, loadPackageDefinition, Metadata, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { randomUUID } from 'node:crypto';
import { VOUCHER_REDEMPTION_PROTO } from '@vc/contracts';

export type Fen = bigint | string;

/** Replies as decoded with `defaults: true`; an `optional` field without a value is absent (undefined), as HTTP gives null. */
export interface Order {
  id: string;
  programmeId: string;
  /** absent until both parties confirmed */
  programmeVersion?: number;
  mode?: string;
  offsetRateBp?: number;
  enterpriseId: string;
  providerId: string;
  amountFen: string;
  voucherFen: string;
  /** absent until paid */
  enterprisePaysFen?: string;
  status: string;
  /** ORDER_STATUS_CREATED … ORDER_STATUS_CANCELLED */
  statusEnum: string;
  /** PROGRAMME_MODE_UNSPECIFIED until both parties confirmed */
  modeEnum: string;
  description: string;
  externalRef?: string;
  providerConfirmedAt?: string;
  enterpriseConfirmedAt?: string;
  confirmedAt?: string;
  paidAt?: string;
  completedAt?: string;
  cancelledAt?: string;
  cancelReason?: string;
  createdAt: string;
}

export interface VoucherQuote {
  orderId: string;
  programmeId: string;
  programmeVersion: number;
  mode: string;
  modeEnum: string;
  offsetRateBp: number;
  amountFen: string;
  byRateFen: string;
  quotaLeftFen: string;
  budgetLeftFen: string;
  voucherFen: string;
  enterprisePaysFen: string;
  limitedBy: string;
  /** LIMITED_BY_RATE | LIMITED_BY_QUOTA | LIMITED_BY_BUDGET */
  limitedByEnum: string;
  /** absent when the voucher applies; otherwise the error code it would be refused with */
  refusal?: string;
}

export interface Claim {
  id: string;
  orderId: string;
  status: string;
  statusEnum: string;
  payeeType: string;
  payeeTypeEnum: string;
  payeeId: string;
  voucherFen: string;
  invoiceNumber: string;
  revision: number;
  amendedAt?: string;
  decidedAt?: string;
  decisionReason?: string;
  paidAt?: string;
}

/** A refusal: the system's error code (e.g. QUOTA_EXHAUSTED), the field, the gRPC status. */
export class RedemptionError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field: string | undefined,
    readonly grpcStatus: number,
    readonly details?: Record<string, unknown>,
    /** the trailing metadata: error-code, error-field and grpc-status-details-bin (google.rpc.Status) */
    readonly trailers?: Metadata,
  ) {
    super(`${code}${field ? ` (${field})` : ''}: ${message}`);
  }

  static from(err: ServiceError): RedemptionError {
    const code = err.metadata?.get('error-code')[0]?.toString();
    if (!code) return new RedemptionError('UNAVAILABLE', err.details || err.message, undefined, err.code, undefined, err.metadata);
    let body: { message?: string; details?: Record<string, unknown> } = {};
    try {
      body = JSON.parse(err.details); // the status message is the JSON error body
    } catch {
      body = { message: err.details };
    }
    return new RedemptionError(code, body.message ?? err.details, err.metadata.get('error-field')[0]?.toString(), err.code, body.details, err.metadata);
  }
}

export interface GrpcClientOptions {
  /** host:port, e.g. 127.0.0.1:50051 */
  address: string;
  /** bearer token of the provider principal */
  token: string;
  /** mutual TLS: the CA of the service, and this provider system's certificate (CN = its unit id) and key */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** deadline per call */
  timeoutMs?: number;
}

type Unary = (req: unknown, md: Metadata, opts: { deadline: Date }, cb: (err: ServiceError | null, res: unknown) => void) => void;

export class VoucherRedemptionGrpcClient {
  private readonly stub: Record<string, Unary> & { close(): void };

  constructor(private readonly options: GrpcClientOptions) {
    const definition = loadSync(VOUCHER_REDEMPTION_PROTO, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = loadPackageDefinition(definition) as any;
    const creds: ChannelCredentials = options.tls
      ? credentials.createSsl(options.tls.ca, options.tls.key ?? null, options.tls.cert ?? null)
      : credentials.createInsecure();
    this.stub = new pkg.voucher.redemption.v1.VoucherRedemption(options.address, creds);
  }

  private call<T>(method: string, request: object, idempotencyKey?: string): Promise<T> {
    const md = new Metadata();
    md.set('authorization', `Bearer ${this.options.token}`);
    if (idempotencyKey) md.set('idempotency-key', idempotencyKey);
    const deadline = new Date(Date.now() + (this.options.timeoutMs ?? 10_000));
    return new Promise((resolve, reject) =>
      this.stub[method](request, md, { deadline }, (err, res) => (err ? reject(RedemptionError.from(err)) : resolve(res as T))),
    );
  }

  quoteVoucher(orderId: string): Promise<VoucherQuote> {
    return this.call('QuoteVoucher', { orderId });
  }

  /** Every mutation carries an idempotency key; reuse it when retrying the same request. */
  createOrder(
    req: { providerId: string; enterpriseId?: string; enterpriseCreditCode?: string; amountFen: Fen; description: string; externalRef?: string },
    idempotencyKey: string = randomUUID(),
  ): Promise<Order> {
    return this.call('CreateOrder', { ...req, amountFen: req.amountFen.toString() }, idempotencyKey);
  }

  confirmOrder(orderId: string, idempotencyKey: string = randomUUID()): Promise<Order> {
    return this.call('ConfirmOrder', { orderId }, idempotencyKey);
  }

  payOrder(orderId: string, idempotencyKey: string = randomUUID()): Promise<Order> {
    return this.call('PayOrder', { orderId }, idempotencyKey);
  }

  cancelOrder(orderId: string, reason: string, idempotencyKey: string = randomUUID()): Promise<Order> {
    return this.call('CancelOrder', { orderId, reason }, idempotencyKey);
  }

  completeOrder(orderId: string, idempotencyKey: string = randomUUID()): Promise<Order> {
    return this.call('CompleteOrder', { orderId }, idempotencyKey);
  }

  submitClaim(
    req: { orderId: string; contractRef: string; invoiceNumber: string; invoiceCode?: string; invoiceAmountFen: Fen; bankTransferRef: string; bankAmountFen: Fen },
    idempotencyKey: string = randomUUID(),
  ): Promise<Claim> {
    return this.call('SubmitClaim', { ...req, invoiceAmountFen: req.invoiceAmountFen.toString(), bankAmountFen: req.bankAmountFen.toString() }, idempotencyKey);
  }

  getOrder(orderId: string): Promise<Order> {
    return this.call('GetOrder', { orderId });
  }

  /** Raw access for unusual requests (tests of malformed input). */
  raw<T>(method: string, request: object, idempotencyKey?: string): Promise<T> {
    return this.call(method, request, idempotencyKey);
  }

  close(): void {
    this.stub.close();
  }
}
