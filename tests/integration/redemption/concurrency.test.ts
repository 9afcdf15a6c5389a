import { Subjects } from '@vc/contracts';
import { rowCounts, sql, TestSystem } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { confirmedOrder, ikey, ledgerDifferences, TestEnterprise, TestProvider, thisYear, UpstreamFeed } from '../../fixtures/redemption';

const S = Subjects.redemption;
jest.setTimeout(120_000);

/** Runs `fn` over `items` with at most `width` at a time (test setup only). */
async function inBatches<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map((x, j) => fn(x, i + j)))));
  return out;
}

describe('redemption: payments under concurrency (R-OFFSET-2, real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let provider: TestProvider;

  beforeAll(async () => {
    sys = await TestSystem.start();
    sys.apps.push(await bootstrapRedemption(sys.config({ DB_POOL_SIZE: 10 })));
    feed = new UpstreamFeed(sys);
    provider = await feed.provider();
  });
  afterAll(async () => sys?.stop());

  /** `count` confirmed orders of `amount` spread over `enterprises` enterprises with ample quota. */
  async function orders(programmeId: string, province: 'JS' | 'ZJ' | 'SH' | 'AH', count: number, enterprises: number, amount: number) {
    const ents: TestEnterprise[] = await inBatches(Array.from({ length: enterprises }), 10, () => feed.enterprise(province));
    await inBatches(ents, 10, (e) => feed.quota(e.id, programmeId, 10_000_000));
    const made = await inBatches(Array.from({ length: count }), 40, async (_, i) => {
      const e = ents[i % ents.length];
      return { order: await confirmedOrder(sys.client, provider, e, amount), enterprise: e };
    });
    return made;
  }

  it('R-OFFSET-2: 400 parallel payments against a budget for exactly 100 → exactly 100 succeed, 0 fen overspent, budget identity holds', async () => {
    // V = 25 % of 400,000 = 100,000 fen; the budget covers exactly 100 of them.
    const JS = await feed.programme('JS', { budgetFen: 100 * 100_000 });
    const made = await orders(JS, 'JS', 400, 40, 400_000);
    const replies = await Promise.all(
      made.map(({ order, enterprise }) => sys.client.call(S.orderPay, { orderId: order.id }, { principal: enterprise.principal, idempotencyKey: ikey('pay') })),
    );
    const ok = replies.filter((r) => r.ok);
    const refused = replies.filter((r) => !r.ok);
    expect(ok).toHaveLength(100);
    expect(ok.every((r) => r.ok && r.data.voucherFen === 100_000 && r.data.status === 'paid')).toBe(true);
    expect(new Set(refused.map((r) => !r.ok && r.error.code))).toEqual(new Set(['BUDGET_EXHAUSTED']));

    const balance = await feed.balance(JS);
    expect(balance).toMatchObject({ ok: true, data: { budget: { creditedFen: 10_000_000, leftFen: 0 } } });
    const [taken] = await sql(
      sys.db.url,
      `SELECT coalesce(sum(amount_fen), 0)::bigint AS taken, count(*)::int AS n FROM redemption.ledger_entries WHERE programme_id = $1 AND entry_type = 'budget_taken'`,
      [JS],
    );
    expect(taken).toEqual({ taken: 10_000_000n, n: 100 });
    const [paid] = await sql(sys.db.url, `SELECT count(*)::int AS n, sum(voucher_fen)::bigint AS v FROM redemption.orders WHERE programme_id = $1 AND status = 'paid'`, [JS]);
    expect(paid).toEqual({ n: 100, v: 10_000_000n });
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('R-OFFSET-1/2: when the budget left is less than V, the payment that comes first takes what is left; the rest are refused', async () => {
    const ZJ = await feed.programme('ZJ', { budgetFen: 20 * 100_000 + 37_000 });
    const made = await orders(ZJ, 'ZJ', 60, 12, 400_000);
    const replies = await Promise.all(
      made.map(({ order, enterprise }) => sys.client.call(S.orderPay, { orderId: order.id }, { principal: enterprise.principal, idempotencyKey: ikey('pay') })),
    );
    const vouchers = replies.filter((r) => r.ok).map((r) => r.ok && r.data.voucherFen).sort((a, b) => b - a);
    expect(vouchers).toEqual([...Array(20).fill(100_000), 37_000]);
    expect(await feed.balance(ZJ)).toMatchObject({ ok: true, data: { budget: { leftFen: 0 } } });
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('R-OFFSET-2: parallel payments of one enterprise never take more quota than it has', async () => {
    const SH = await feed.programme('SH', { budgetFen: 1_000_000_000 });
    const e = await feed.enterprise('SH');
    await feed.quota(e.id, SH, 1_050_000); // 10 full vouchers of 100,000 and 50,000 more
    const made = await inBatches(Array.from({ length: 50 }), 25, () => confirmedOrder(sys.client, provider, e, 400_000));
    const replies = await Promise.all(made.map((o) => sys.client.call(S.orderPay, { orderId: o.id }, { principal: e.principal, idempotencyKey: ikey('pay') })));
    const vouchers = replies.filter((r) => r.ok).map((r) => r.ok && r.data.voucherFen).sort((a, b) => b - a);
    expect(vouchers).toEqual([...Array(10).fill(100_000), 50_000]);
    expect(replies.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === 'QUOTA_EXHAUSTED')).toBe(true);
    expect(await feed.balance(SH, e.id)).toMatchObject({ ok: true, data: { quota: { grantedFen: 1_050_000, leftFen: 0 } } });
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('R-OFFSET-2: the same payment ×50 in parallel with one idempotency key → one effect, 50 identical replies', async () => {
    const AH = await feed.programme('AH', { budgetFen: 1_000_000_000 });
    const e = await feed.enterprise('AH');
    await feed.quota(e.id, AH, 5_000_000);
    const order = await confirmedOrder(sys.client, provider, e, 1_234_567);
    const key = ikey('same');
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => sys.client.call(S.orderPay, { orderId: order.id }, { principal: e.principal, idempotencyKey: key })),
    );
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(replies[0]).toMatchObject({ ok: true, data: { status: 'paid', voucherFen: 308_641 } });
    const [effects] = await sql(
      sys.db.url,
      `SELECT (SELECT count(*)::int FROM redemption.ledger_entries WHERE order_id = $1) AS ledger,
              (SELECT count(*)::int FROM redemption.audit_log WHERE entity_id = $1::text AND action = 'order.paid') AS audit,
              (SELECT count(*)::int FROM redemption.outbox WHERE aggregate_id = $1::text AND subject = 'voucher.events.order.paid') AS events`,
      [order.id],
    );
    expect(effects).toEqual({ ledger: 2, audit: 1, events: 1 });
    expect(await feed.balance(AH, e.id)).toMatchObject({ ok: true, data: { quota: { leftFen: 5_000_000 - 308_641 } } });

    // a retry later returns the first reply byte for byte; another order under the same key is a conflict and writes nothing
    expect(await sys.client.call(S.orderPay, { orderId: order.id }, { principal: e.principal, idempotencyKey: key })).toEqual(replies[0]);
    const other = await confirmedOrder(sys.client, provider, e, 100_000);
    const before = await rowCounts(sys.db.url, 'redemption');
    const conflict = await sys.client.call(S.orderPay, { orderId: other.id }, { principal: e.principal, idempotencyKey: key });
    expect(conflict).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_CONFLICT', field: 'Idempotency-Key' } });
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);
    // a second payment of a paid order under a fresh key is refused: exactly once per order
    const twice = await sys.client.call(S.orderPay, { orderId: order.id }, { principal: e.principal, idempotencyKey: ikey() });
    expect(twice).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE' } });
  });

  it('R-OFFSET-2: the same order paid in parallel under different keys by both parties is paid exactly once', async () => {
    const e = await feed.enterprise('AH');
    await feed.quota(e.id, `AH-${thisYear()}`, 1_000_000);
    const order = await confirmedOrder(sys.client, provider, e, 400_000);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sys.client.call(S.orderPay, { orderId: order.id }, { principal: i % 2 ? e.principal : provider.principal, idempotencyKey: ikey('race') }),
      ),
    );
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    expect(replies.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === 'ILLEGAL_STATE')).toBe(true);
    const [n] = await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.ledger_entries WHERE order_id = $1`, [order.id]);
    expect(n.n).toBe(2);
  });
});
