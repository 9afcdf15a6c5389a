/**
 * A provider system's client for the redemption service over NATS request-reply (ADR 0002): the
 * JSON body on the subject, headers Authorization / Idempotency-Key, the reply
 * {"ok":true,"data":…} or {"ok":false,"error":{code,message,field}}. Only the `nats` package.
 */
import { randomUUID } from 'node:crypto';
import { connect, headers, NatsConnection } from 'nats';
import { Subjects } from '@vc/contracts';

const S = Subjects.redemption;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class NatsRedemptionError extends Error {
  constructor(readonly code: string, message: string, readonly field?: string, readonly details?: Record<string, unknown>) {
    super(`${code}${field ? ` (${field})` : ''}: ${message}`);
  }
}

export class VoucherRedemptionNatsClient {
  private constructor(private readonly nc: NatsConnection, private readonly token: string, private readonly timeoutMs: number) {}

  /**
   * A provider system connects as the NATS user of its own account (made from the PROVIDER_TEMPLATE
   * of deploy/nats/accounts.conf; there is no anonymous access), and sends its principal's token.
   */
  static async connect(servers: string, token: string, credentials: { user: string; pass: string }, timeoutMs = 10_000): Promise<VoucherRedemptionNatsClient> {
    return new VoucherRedemptionNatsClient(await connect({ servers: servers.split(','), name: 'provider-system', ...credentials }), token, timeoutMs);
  }

  /** One request; money may be given as bigint (sent as a JSON integer or a decimal string). */
  async request<T = any>(subject: string, body: object, idempotencyKey?: string): Promise<T> {
    const h = headers();
    h.set('Authorization', `Bearer ${this.token}`);
    if (idempotencyKey) h.set('Idempotency-Key', idempotencyKey);
    const json = JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    const msg = await this.nc.request(subject, encoder.encode(json), { headers: h, timeout: this.timeoutMs });
    const reply = JSON.parse(decoder.decode(msg.data));
    if (!reply.ok) throw new NatsRedemptionError(reply.error.code, reply.error.message, reply.error.field, reply.error.details);
    return reply.data as T;
  }

  createOrder(body: { providerId: string; enterpriseId?: string; enterpriseCreditCode?: string; amountFen: bigint; description: string; externalRef?: string }, key = randomUUID()) {
    return this.request(S.orderCreate, body, key);
  }
  confirmOrder(orderId: string, key = randomUUID()) {
    return this.request(S.orderConfirm, { orderId }, key);
  }
  quoteVoucher(orderId: string) {
    return this.request(S.orderQuote, { orderId });
  }
  payOrder(orderId: string, key = randomUUID()) {
    return this.request(S.orderPay, { orderId }, key);
  }
  cancelOrder(orderId: string, reason: string, key = randomUUID()) {
    return this.request(S.orderCancel, { orderId, reason }, key);
  }
  completeOrder(orderId: string, key = randomUUID()) {
    return this.request(S.orderComplete, { orderId }, key);
  }
  getOrder(orderId: string) {
    return this.request(S.orderGet, { orderId });
  }
  submitClaim(body: { orderId: string; contractRef: string; invoiceNumber: string; invoiceCode?: string; invoiceAmountFen: bigint; bankTransferRef: string; bankAmountFen: bigint }, key = randomUUID()) {
    return this.request(S.claimSubmit, body, key);
  }

  async close(): Promise<void> {
    await this.nc.drain();
  }
}
