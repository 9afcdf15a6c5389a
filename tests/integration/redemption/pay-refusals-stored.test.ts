import { Events, Subjects } from '@vc/contracts';
import { freePort, rowCounts, sql, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { paymentsMade } from '../../../apps/redemption/src/use-cases/payment-batcher';
import { RedemptionError, VoucherRedemptionGrpcClient } from '../../../scripts/examples/provider-client/grpc-client';
import { confirmedOrder, ikey, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';

jest.setTimeout(120_000);

const S = Subjects.redemption;

async function grpcRefusal(p: Promise<unknown>): Promise<RedemptionError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RedemptionError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** The payments answered by a batch (pay_orders) so far. */
async function batchAnswers(): Promise<number> {
  return (await paymentsMade.get()).values.find((v) => v.labels.path === 'batch')?.value ?? 0;
}

/**
 * R-OFFSET-2 (as SPEC words it): a retried payment returns the first result, a refusal included.
 * The SQL pay paths (pay_order alone, pay_orders for a batch) store a final refusal under the
 * request's idempotency key with nothing else written, and answer a retry with it however the
 * state has changed since; a refusal that is not final (not found, an amount whose voucher part
 * rounds to 0) stores nothing. Over NATS and over gRPC.
 */
describe('redemption: a refused payment is the answer under its key (real PostgreSQL + NATS + gRPC)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let JS: string;
  let grpcAddress: string;

  beforeAll(async () => {
    sys = await TestSystem.start();
    const port = await freePort();
    sys.apps.push(await bootstrapRedemption(sys.config({ GRPC_PORT: port, GRPC_PLAINTEXT: 'true' })));
    grpcAddress = `127.0.0.1:${port}`;
    feed = new UpstreamFeed(sys);
    JS = await feed.programme('JS', { budgetFen: 1_000_000_000 });
  });
  afterAll(async () => sys?.stop());

  const stored = async (key: string) => sql(sys.db.url, `SELECT reply, refusal FROM redemption.idempotency WHERE key = $1`, [key]);
  const orderState = async (id: string) => (await sql(sys.db.url, `SELECT status, paid_at FROM redemption.orders WHERE id = $1`, [id]))[0];
  /** Every table but the idempotency store: what a refusal must leave as it was. */
  const effects = async () => {
    const counts = await rowCounts(sys.db.url, 'redemption');
    delete counts.idempotency;
    return counts;
  };

  async function fundedEnterprise(quota = 5_000_000): Promise<TestEnterprise> {
    const e = await feed.enterprise('JS');
    if (quota) await feed.quota(e.id, JS, quota);
    return e;
  }

  it('R-OFFSET-2, R-REG-4 (NATS, pay_order): refused while the provider was suspended, refused again under that key after reinstatement; a new key pays', async () => {
    const ent = await fundedEnterprise();
    const provider = await feed.provider();
    const order = await confirmedOrder(sys.client, provider, ent, 200_000);
    await feed.providerEvent(Events.providerSuspended, provider, { status: 'active', suspended: true });
    const key = ikey('pay');
    const pay = () => sys.client.call(S.orderPay, { orderId: order.id }, { principal: ent.principal, idempotencyKey: key });
    const before = await effects();
    const first = await pay();
    expect(first).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE', field: 'providerId' } });
    expect(await stored(key)).toEqual([{ reply: null, refusal: (first as { error: unknown }).error }]);
    expect(await effects()).toEqual(before);

    await feed.providerEvent(Events.providerReinstated, provider, { status: 'active', suspended: false });
    expect(await pay()).toEqual(first);
    expect(await Promise.all([1, 2, 3, 4, 5].map(() => pay()))).toEqual([first, first, first, first, first]);
    expect(await orderState(order.id)).toMatchObject({ status: 'confirmed', paid_at: null });
    expect(await effects()).toEqual(before);
    // the same key for another order is a conflict, as after a success
    const other = await confirmedOrder(sys.client, provider, ent, 100_000);
    expect(await sys.client.call(S.orderPay, { orderId: other.id }, { principal: ent.principal, idempotencyKey: key })).toMatchObject({
      ok: false,
      error: { code: 'IDEMPOTENCY_CONFLICT' },
    });
    // a new request is decided on the state as it is now
    expect(await sys.client.call(S.orderPay, { orderId: order.id }, { principal: ent.principal, idempotencyKey: ikey('pay') })).toMatchObject({ ok: true, data: { status: 'paid' } });
  });

  it('R-OFFSET-2, R-QUOTA-1 (NATS, pay_orders): payments refused together for want of quota stay refused under their keys once quota is granted', async () => {
    const ent = await fundedEnterprise(0);
    const provider = await feed.provider();
    const orders: Array<{ id: string }> = [];
    for (let i = 0; i < 4; i++) orders.push(await confirmedOrder(sys.client, provider, ent, 100_000 + i));
    const keys = orders.map(() => ikey('batch'));
    const payAll = (ks: string[]) => Promise.all(orders.map((o, i) => sys.client.call(S.orderPay, { orderId: o.id }, { principal: ent.principal, idempotencyKey: ks[i] })));
    const batched = await batchAnswers();
    const before = await effects();
    const first = await payAll(keys);
    for (const answer of first) expect(answer).toMatchObject({ ok: false, error: { code: 'QUOTA_EXHAUSTED', details: { quotaLeftFen: 0 } } });
    // sent together, at least some were answered by one batch (pay_orders), the rest alone
    expect(await batchAnswers()).toBeGreaterThan(batched);
    for (const [i, key] of keys.entries()) expect(await stored(key)).toEqual([{ reply: null, refusal: (first[i] as { error: unknown }).error }]);
    expect(await effects()).toEqual(before);

    await feed.quota(ent.id, JS, 5_000_000);
    expect(await payAll(keys)).toEqual(first);
    for (const o of orders) expect(await orderState(o.id)).toMatchObject({ status: 'confirmed' });
    const fresh = await payAll(orders.map(() => ikey('batch')));
    for (const answer of fresh) expect(answer).toMatchObject({ ok: true, data: { status: 'paid' } });
  });

  it('R-OFFSET-2: refusals of the request itself are not stored (not found, a voucher part of 0 fen): the key stays free', async () => {
    const ent = await fundedEnterprise();
    const provider = await feed.provider();
    const order = await confirmedOrder(sys.client, provider, ent, 3); // 3 fen × 25 % rounds down to 0
    const stranger = await fundedEnterprise();
    const notYours = ikey('stranger');
    expect(await sys.client.call(S.orderPay, { orderId: order.id }, { principal: stranger.principal, idempotencyKey: notYours })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    const tiny = ikey('tiny');
    expect(await sys.client.call(S.orderPay, { orderId: order.id }, { principal: ent.principal, idempotencyKey: tiny })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_AMOUNT', field: 'amountFen' },
    });
    expect(await stored(notYours)).toEqual([]);
    expect(await stored(tiny)).toEqual([]);
  });

  it('R-OFFSET-2, R-REG-4 (gRPC): a payment refused while the provider was excluded is refused again under its key after the exclusion is lifted', async () => {
    const ent = await fundedEnterprise();
    const provider: TestProvider = await feed.provider();
    const grpc = new VoucherRedemptionGrpcClient({ address: grpcAddress, token: tokenFor(provider.principal) });
    try {
      const order = await confirmedOrder(sys.client, provider, ent, 400_000);
      await feed.providerEvent(Events.providerExcluded, provider, { status: 'active', suspended: false, programmeId: JS });
      const key = ikey('grpc');
      const first = await grpcRefusal(grpc.payOrder(order.id, key));
      expect(first.code).toBe('PROVIDER_EXCLUDED');
      expect(await stored(key)).toEqual([{ reply: null, refusal: expect.objectContaining({ code: 'PROVIDER_EXCLUDED', field: 'providerId' }) }]);

      await feed.providerEvent(Events.providerExclusionLifted, provider, { status: 'active', suspended: false, programmeId: JS });
      const again = await grpcRefusal(grpc.payOrder(order.id, key));
      expect({ code: again.code, message: again.message }).toEqual({ code: first.code, message: first.message });
      expect(await orderState(order.id)).toMatchObject({ status: 'confirmed' });
      expect(await grpc.payOrder(order.id, ikey('grpc'))).toMatchObject({ status: 'paid', voucherFen: '100000' });
    } finally {
      grpc.close();
    }
  });
});
