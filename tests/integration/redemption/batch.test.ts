import { Subjects } from '@vc/contracts';
import { sql, TestSystem } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { paymentBatches, paymentsMade } from '../../../apps/redemption/src/use-cases/payment-batcher';
import { confirmedOrder, ikey, ledgerDifferences, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';

const S = Subjects.redemption;
jest.setTimeout(120_000);

/** The counters of the payment batcher, by label value. */
async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of [paymentBatches, paymentsMade]) {
    for (const v of (await c.get()).values) out[String(Object.values(v.labels)[0])] = v.value;
  }
  return out;
}

async function since(before: Record<string, number>): Promise<Record<string, number>> {
  const now = await counts();
  return Object.fromEntries(['made', 'failed', 'batch', 'alone'].map((k) => [k, (now[k] ?? 0) - (before[k] ?? 0)]));
}

/**
 * Payments that arrive together are made together (redemption.pay_orders, ADR 0006). Every answer
 * must be the one a lone call gives: the same V, the same refusal, the same replay.
 */
describe('redemption: payments made in batches (R-OFFSET-1..2, R-AUDIT-1, R-LEDGER-1, real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let provider: TestProvider;

  beforeAll(async () => {
    sys = await TestSystem.start();
    sys.apps.push(await bootstrapRedemption(sys.config({ DB_POOL_SIZE: 8, PAY_BATCH_MAX: 16, PAY_BATCH_IN_FLIGHT: 2 })));
    feed = new UpstreamFeed(sys);
    provider = await feed.provider();
  });
  afterAll(async () => sys?.stop());

  const pay = (orderId: string, who: { principal: unknown }, key = ikey('pay')) =>
    sys.client.call(S.orderPay, { orderId }, { principal: who.principal as never, idempotencyKey: key });

  it('R-OFFSET-1/2: payments of one enterprise in one batch take its quota in turn — 10 full vouchers, the rest of the quota, then refusals', async () => {
    const SH = await feed.programme('SH', { budgetFen: 1_000_000_000 });
    const ents: TestEnterprise[] = [];
    for (let i = 0; i < 4; i++) {
      const e = await feed.enterprise('SH');
      await feed.quota(e.id, SH, 1_050_000);
      ents.push(e);
    }
    const orders = await Promise.all(ents.flatMap((e) => Array.from({ length: 14 }, async () => ({ e, order: await confirmedOrder(sys.client, provider, e, 400_000) }))));
    const before = await counts();
    const replies = await Promise.all(orders.map(({ e, order }) => pay(order.id, e)));

    const moved = await since(before);
    expect(moved.made).toBeGreaterThan(0);
    expect(moved.failed).toBe(0);
    expect(moved.batch).toBeGreaterThan(orders.length / 2);
    for (const e of ents) {
      const mine = replies.filter((_, i) => orders[i].e === e);
      const vouchers = mine.filter((r) => r.ok).map((r) => r.ok && r.data.voucherFen).sort((a, b) => b - a);
      expect(vouchers).toEqual([...Array(10).fill(100_000), 50_000]);
      expect(mine.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(
        Array(3).fill({ code: 'QUOTA_EXHAUSTED', field: 'orderId', message: 'the enterprise has no quota left in this programme', details: { quotaLeftFen: 0 } }),
      );
      expect(await feed.balance(SH, e.id)).toMatchObject({ ok: true, data: { quota: { grantedFen: 1_050_000, leftFen: 0 } } });
    }

    // R-AUDIT-1 and the outbox: one audit row and one event per payment made, with its V and why V is what it is
    const paid = replies.filter((r) => r.ok).map((r) => r.ok && r.data);
    const rows = await sql(
      sys.db.url,
      `SELECT a.entity_id AS id, a.data, e.envelope
         FROM redemption.audit_log a
         JOIN redemption.outbox e ON e.aggregate_id = a.entity_id AND e.subject = 'voucher.events.order.paid'
        WHERE a.action = 'order.paid' AND a.entity_id = ANY ($1::text[])`,
      [paid.map((o) => o.id)],
    );
    expect(rows).toHaveLength(paid.length);
    for (const row of rows) {
      const order = paid.find((o) => o.id === row.id);
      expect(row.data).toEqual({
        voucherFen: Number(order.voucherFen),
        enterprisePaysFen: Number(order.enterprisePaysFen),
        limitedBy: order.voucherFen === 100_000 ? 'rate' : 'quota',
        byRateFen: 100_000,
      });
      expect(row.envelope).toMatchObject({ type: 'voucher.events.order.paid', aggregateType: 'order', aggregateId: order.id, payload: { orderId: order.id, status: 'paid' } });
    }
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('R-OFFSET-2, R-ERR-1: refusals and replays arriving with good payments get the answer a lone call gives, and write nothing', async () => {
    const ZJ = await feed.programme('ZJ', { budgetFen: 1_000_000_000 });
    const e = await feed.enterprise('ZJ');
    const other = await feed.enterprise('ZJ');
    await feed.quota(e.id, ZJ, 10_000_000);
    await feed.quota(other.id, ZJ, 10_000_000);
    const good = await Promise.all(Array.from({ length: 8 }, () => confirmedOrder(sys.client, provider, e, 400_000)));
    const othersOrder = await confirmedOrder(sys.client, provider, other, 400_000);
    const paidBefore = await confirmedOrder(sys.client, provider, e, 400_000);
    const firstKey = ikey('first');
    const first = await pay(paidBefore.id, e, firstKey);
    expect(first).toMatchObject({ ok: true, data: { status: 'paid', voucherFen: 100_000 } });
    const unconfirmed = await sys.client.ok(
      S.orderCreate,
      { providerId: provider.id, enterpriseId: e.id, amountFen: 400_000n, description: '材料成分检测' },
      { principal: provider.principal, idempotencyKey: ikey('create') },
    );
    const shared = ikey('shared');
    const twins = await Promise.all([confirmedOrder(sys.client, provider, e, 400_000), confirmedOrder(sys.client, provider, e, 400_000)]);

    const before = await counts();
    const [goodReplies, notMine, again, replay, notConfirmed, twinReplies] = await Promise.all([
      Promise.all(good.map((o) => pay(o.id, e))),
      pay(othersOrder.id, e),
      pay(paidBefore.id, e),
      pay(paidBefore.id, e, firstKey),
      pay(unconfirmed.id, e),
      Promise.all(twins.map((o) => pay(o.id, e, shared))),
    ]);
    const moved = await since(before);
    expect(moved.failed).toBe(0);
    expect(moved.batch).toBeGreaterThan(0);

    expect(goodReplies.every((r) => r.ok && r.data.status === 'paid' && r.data.voucherFen === 100_000)).toBe(true);
    expect(notMine).toEqual({ ok: false, error: { code: 'NOT_FOUND', field: 'orderId', message: 'no such order' } });
    expect(again).toEqual({
      ok: false,
      error: { code: 'ILLEGAL_STATE', field: 'orderId', message: 'order is paid; a voucher pays a confirmed order once', details: { status: 'paid' } },
    });
    expect(replay).toEqual(first);
    expect(notConfirmed).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE', details: { status: 'created' } } });
    // one key for two orders: one pays, the other is a conflict
    const twinPaid = twinReplies.findIndex((r) => r.ok);
    const twinRefused = 1 - twinPaid;
    expect(twinReplies[twinPaid]).toMatchObject({ ok: true, data: { id: twins[twinPaid].id, status: 'paid' } });
    expect(twinReplies[twinRefused]).toEqual({
      ok: false,
      error: { code: 'IDEMPOTENCY_CONFLICT', field: 'Idempotency-Key', message: 'this Idempotency-Key was used with a different request' },
    });

    const [written] = await sql(
      sys.db.url,
      `SELECT (SELECT count(*)::int FROM redemption.ledger_entries WHERE order_id = ANY ($1::uuid[])) AS ledger,
              (SELECT count(*)::int FROM redemption.audit_log WHERE action = 'order.paid' AND entity_id = ANY ($1::text[])) AS audit,
              (SELECT count(*)::int FROM redemption.outbox WHERE subject = 'voucher.events.order.paid' AND aggregate_id = ANY ($1::text[])) AS events,
              (SELECT count(*)::int FROM redemption.ledger_entries WHERE order_id = $2) AS paid_once`,
      [[othersOrder.id, unconfirmed.id, twins[twinRefused].id], paidBefore.id],
    );
    expect(written).toEqual({ ledger: 0, audit: 0, events: 0, paid_once: 2 });
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('R-OFFSET-2: when the batch\'s budget shard runs short the payment is made alone from the other shards — the budget is spent exactly, never overspent', async () => {
    // 16 shards of 150,000 fen each; V = 100,000: a second payment on a batch's shard is short.
    const AH = await feed.programme('AH', { budgetFen: 16 * 150_000 });
    const ents: TestEnterprise[] = [];
    for (let i = 0; i < 6; i++) {
      const e = await feed.enterprise('AH');
      await feed.quota(e.id, AH, 10_000_000);
      ents.push(e);
    }
    const orders = await Promise.all(Array.from({ length: 36 }, async (_, i) => ({ e: ents[i % 6], order: await confirmedOrder(sys.client, provider, ents[i % 6], 400_000) })));
    const before = await counts();
    const replies = await Promise.all(orders.map(({ e, order }) => pay(order.id, e)));
    const moved = await since(before);
    expect(moved.failed).toBe(0);
    expect(moved.alone).toBeGreaterThan(0);

    expect(replies.filter((r) => r.ok).map((r) => r.ok && r.data.voucherFen)).toEqual(Array(24).fill(100_000));
    expect(new Set(replies.filter((r) => !r.ok).map((r) => !r.ok && r.error.code))).toEqual(new Set(['BUDGET_EXHAUSTED']));
    expect(await feed.balance(AH)).toMatchObject({ ok: true, data: { budget: { creditedFen: 2_400_000, leftFen: 0 } } });
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });
});
