import { Injectable, Logger } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { Counter } from 'prom-client';
import { AppConfig } from '@vc/config';
import { OrderView } from '@vc/contracts';
import { CONFLICT_ATTEMPTS, retryOnConflict } from '@vc/database';
import { ERROR_TABLE, ErrorCode } from '@vc/errors';
import { Clock, Outbox, UnitOfWork } from '@vc/platform';
import { mapPg, sqlRefusal, SqlRefusalDetail } from '../sql/redemption.sql';

/**
 * R-OFFSET-2: the refusals the pay functions store under the request's key as its answer
 * (ERROR_TABLE's final codes); any other refusal leaves the key free.
 */
const FINAL_CODES = (Object.keys(ERROR_TABLE) as ErrorCode[]).filter((code) => ERROR_TABLE[code].final);

/** Deadlocks and serialisation failures only: a unique violation of pay_order's keys has its own answer (fromPgError). */
const TRANSACTION_CONFLICTS = { '40001': CONFLICT_ATTEMPTS['40001'], '40P01': CONFLICT_ATTEMPTS['40P01'] };

/** One voucher payment as `redemption.pay_order` takes it. */
export interface PaymentRequest {
  scope: string;
  key: string;
  hash: string;
  orderId: string;
  sub: string;
  role: string;
  org: string;
  correlationId: string | null;
}

/** What `redemption.pay_orders` answers for one payment of a batch. */
type BatchReply =
  | { reply: OrderView }
  | { error: SqlRefusalDetail & { code: string } }
  | { retry: string };

/** Payments by how they were made: in a batch, or alone (a batch of one, a batch's leftovers). */
export const paymentsMade = new Counter({ name: 'vc_voucher_payments_total', help: 'voucher payment calls answered, by path', labelNames: ['path'] });
/** Batches by outcome: made, or failed as a whole and made again one by one. */
export const paymentBatches = new Counter({ name: 'vc_voucher_payment_batches_total', help: 'voucher payment batches, by outcome', labelNames: ['outcome'] });

interface Pending {
  request: PaymentRequest;
  resolve(view: OrderView): void;
  reject(err: unknown): void;
}

/**
 * Gathers the voucher payments that arrive together and makes them in one transaction
 * (`redemption.pay_orders`, ADR 0006): one round trip and one commit for many payments, instead of
 * one each. A batch leaves as soon as the event loop has taken in what has arrived (no timer), so
 * an idle system pays at once; under load, payments wait for one of the `PAY_BATCH_IN_FLIGHT`
 * batches to finish and leave together, at most `PAY_BATCH_MAX` at a time. Each batch takes the
 * budget from its own shard (its slot), so batches running side by side do not queue on one
 * budget row.
 *
 * Each payment's answer is exactly the one a lone call gives: refusals come back per payment; a
 * payment the batch leaves alone (its voucher part rounds to 0, the batch's shard ran short) and
 * every payment of a batch that failed as a whole are made again on their own with
 * `redemption.pay_order`.
 */
@Injectable()
export class PaymentBatcher {
  private readonly logger = new Logger(PaymentBatcher.name);
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** Replicas start at different slots, so that their batches take from different shards. */
  private slot = randomInt(0x7fffffff);

  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly outbox: Outbox, config: AppConfig) {
    this.maxBatch = config.PAY_BATCH_MAX;
    this.maxInFlight = config.PAY_BATCH_IN_FLIGHT;
  }

  pay(request: PaymentRequest): Promise<OrderView> {
    if (this.maxBatch === 1) return this.payAlone(request);
    return new Promise<OrderView>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
        const batch = this.take();
        this.inFlight += 1;
        void this.run(batch).finally(() => {
          this.inFlight -= 1;
          this.schedule();
        });
      }
    });
  }

  /**
   * The next batch, in arrival order: at most maxBatch payments, each order and each
   * Idempotency-Key once; a repeat waits for the next batch, so that it meets the first one's
   * committed answer as a lone call would.
   */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const orders = new Set<string>();
    const keys = new Set<string>();
    for (const p of this.queue) {
      const key = `${p.request.scope}\n${p.request.key}`;
      if (batch.length < this.maxBatch && !orders.has(p.request.orderId) && !keys.has(key)) {
        batch.push(p);
        orders.add(p.request.orderId);
        keys.add(key);
      } else {
        rest.push(p);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      await this.settle(batch[0], () => this.payAlone(batch[0].request));
      return;
    }
    this.slot = (this.slot + 1) % 0x7fffffff;
    let replies: BatchReply[];
    try {
      const column = <K extends keyof PaymentRequest>(k: K) => batch.map((p) => p.request[k]);
      const [row] = await this.uow.ds.query(`SELECT redemption.pay_orders($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) AS replies`, [
        column('scope'),
        column('key'),
        column('hash'),
        column('orderId'),
        column('sub'),
        column('role'),
        column('org'),
        column('correlationId'),
        this.clock.now(),
        this.slot,
        FINAL_CODES,
      ]);
      replies = row.replies;
      paymentBatches.inc({ outcome: 'made' });
    } catch (err) {
      paymentBatches.inc({ outcome: 'failed' });
      // The batch as a whole failed and wrote nothing (a same key committed meanwhile by another
      // batch, a lock conflict, a lost connection): every payment is made on its own, which
      // answers each as a lone call would.
      this.logger.warn(`a batch of ${batch.length} payments failed (${(err as Error).message}); making them one by one`);
      replies = batch.map(() => ({ retry: 'batch' }));
    }
    this.outbox.nudge();
    await Promise.all(
      batch.map((p, i) => {
        const r: BatchReply = replies[i] ?? { retry: 'no answer' };
        if ('reply' in r || 'error' in r) paymentsMade.inc({ path: 'batch' });
        if ('reply' in r) return p.resolve(r.reply);
        if ('error' in r) return p.reject(sqlRefusal(r.error.code, r.error));
        return this.settle(p, () => this.payAlone(p.request));
      }),
    );
  }

  private async settle(p: Pending, fn: () => Promise<OrderView>): Promise<void> {
    try {
      p.resolve(await fn());
    } catch (err) {
      p.reject(err);
    }
  }

  /** One payment, one call of `redemption.pay_order` (ADR 0004). */
  private async payAlone(r: PaymentRequest): Promise<OrderView> {
    paymentsMade.inc({ path: 'alone' });
    // One statement, one transaction: a deadlock or serialisation failure it lost is made again
    // here (a bounded number of times) rather than answered as UNAVAILABLE.
    const [row] = await mapPg(() =>
      retryOnConflict(() => this.uow.ds.query(`SELECT redemption.pay_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS answer`, [
        r.scope,
        r.key,
        r.hash,
        r.orderId,
        r.sub,
        r.role,
        r.org,
        this.clock.now(),
        r.correlationId,
        FINAL_CODES,
      ]), { attempts: TRANSACTION_CONFLICTS }),
    );
    const answer: { reply: OrderView } | { error: SqlRefusalDetail & { code: string } } = row.answer;
    if ('error' in answer) throw sqlRefusal(answer.error.code, answer.error);
    this.outbox.nudge();
    return answer.reply;
  }
}
