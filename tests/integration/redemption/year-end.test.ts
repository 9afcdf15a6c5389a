import { Events, Subjects } from '@vc/contracts';
import { sql, TestSystem } from '@vc/testing';
import { runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { QuotaLapseJob } from '../../../apps/redemption/src/jobs/quota-lapse.job';
import { deltaOperator, operatorOf } from '../../fixtures/principals';
import { confirmedOrder, ikey, ledgerDifferences, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';

const S = Subjects.redemption;
jest.setTimeout(120_000);

/** Year-end on a simulated business clock (CLOCK_MODE=simulated, moved with redemption.clock.set). */
describe('redemption at year end: quota lapses, no carry-over (R-QUOTA-2; real PostgreSQL + NATS)', () => {
  const Y = 2030;
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let JS: string;
  let AH: string;
  let provider: TestProvider;
  let a: TestEnterprise;
  let b: TestEnterprise;
  let c: TestEnterprise;
  let paid: { id: string };
  let pending: { id: string };

  const setClock = (now: string) => sys.client.ok('redemption.clock.set', { now }, { principal: deltaOperator });

  beforeAll(async () => {
    sys = await TestSystem.start();
    sys.apps.push(await bootstrapRedemption(sys.config({ CLOCK_MODE: 'simulated', SIMULATED_NOW: `${Y}-12-31T20:00:00+08:00` })));
    feed = new UpstreamFeed(sys);
    JS = await feed.programme('JS', { year: Y, budgetFen: 1_000_000_000 });
    AH = await feed.programme('AH', { year: Y, budgetFen: 1_000_000_000 });
    provider = await feed.provider();
    [a, b] = [await feed.enterprise('JS'), await feed.enterprise('JS')];
    c = await feed.enterprise('AH');
    await feed.quota(a.id, JS, 1_000_000);
    await feed.quota(b.id, JS, 2_000_000);
    await feed.quota(c.id, AH, 3_000_000);
    const order = await confirmedOrder(sys.client, provider, a, 400_000);
    paid = await sys.client.ok(S.orderPay, { orderId: order.id }, { principal: a.principal, idempotencyKey: ikey() });
    pending = await confirmedOrder(sys.client, provider, b, 400_000);
  });
  afterAll(async () => sys?.stop());

  it('R-QUOTA-2: the lapse is refused while the year has not ended in Asia/Shanghai', async () => {
    await setClock(`${Y}-12-31T23:59:59+08:00`); // 15:59:59 UTC: the year still runs in Shanghai
    const early = await sys.client.call(S.quotaLapse, { year: Y }, { principal: operatorOf('JS'), idempotencyKey: ikey() });
    expect(early).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE', field: 'year' } });
  });

  it('R-QUOTA-2: after 31 December the quota of the year pays nothing more', async () => {
    await setClock(`${Y + 1}-01-01T00:00:01+08:00`);
    const refused = await sys.client.call(S.orderPay, { orderId: pending.id }, { principal: b.principal, idempotencyKey: ikey() });
    expect(refused).toMatchObject({ ok: false, error: { code: 'QUOTA_EXHAUSTED' } });
    expect(!refused.ok && refused.error.message).toMatch(/lapsed/);
  });

  it('R-OFFSET-3, R-LEDGER-1: cancelling after the year ended returns V to the budget; to the quota only as lapsed', async () => {
    const budgetBefore = await feed.balance(JS, a.id);
    await sys.client.ok(S.orderCancel, { orderId: paid.id, reason: '跨年取消' }, { principal: a.principal, idempotencyKey: ikey() });
    const after = await feed.balance(JS, a.id);
    expect(BigInt(after.ok && after.data.budget.leftFen) - BigInt(budgetBefore.ok && budgetBefore.data.budget.leftFen)).toBe(100_000n);
    // nothing more to spend; V is no longer used, and lapses (claimed = used + left + lapsed)
    const quotaBefore = budgetBefore.ok && budgetBefore.data.quota;
    expect(after.ok && after.data.quota).toMatchObject({ leftFen: quotaBefore.leftFen, lapsedFen: Number(quotaBefore.lapsedFen) + 100_000 });
    expect(await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.outbox WHERE subject = $1 AND aggregate_id = $2`, [Events.quotaLapsed, a.id])).toEqual([{ n: 1 }]);
    const checks = (await runLedgerChecks(sys.db.url)).filter((r) => r.name.startsWith('quota used') || r.name.startsWith('redemption: quota left'));
    expect(checks.map((r) => r.status)).toEqual(['ok', 'ok']);
  });

  it('R-QUOTA-2: a programme operator lapses every unused balance of its province once; the ledger and events record it', async () => {
    expect(await sys.client.call(S.quotaLapse, { year: Y }, { principal: a.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await sys.client.call(S.quotaLapse, { year: Y, programmeId: AH }, { principal: operatorOf('JS'), idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', field: 'programmeId' },
    });
    const key = ikey('lapse');
    const lapsed = await sys.client.ok(S.quotaLapse, { year: Y }, { principal: operatorOf('JS'), idempotencyKey: key });
    // a: 1,000,000 − 100,000 taken (not returned: cancelled after year end); b: 2,000,000 unused
    expect(lapsed).toEqual({ year: Y, balancesLapsed: 2, lapsedFen: 2_900_000, programmes: [{ programmeId: JS, balancesLapsed: 2, lapsedFen: 2_900_000 }] });
    expect(await sys.client.ok(S.quotaLapse, { year: Y }, { principal: operatorOf('JS'), idempotencyKey: key })).toEqual(lapsed);
    expect(await sys.client.ok(S.quotaLapse, { year: Y }, { principal: operatorOf('JS'), idempotencyKey: ikey() })).toMatchObject({ balancesLapsed: 0, lapsedFen: 0 });
    expect(await feed.balance(JS, b.id)).toMatchObject({ ok: true, data: { quota: { grantedFen: 2_000_000, leftFen: 0, lapsedFen: 2_000_000 } } });
    // AH is another province's: untouched until its operator (or the delta desk) runs it
    expect(await feed.balance(AH, c.id)).toMatchObject({ ok: true, data: { quota: { leftFen: 3_000_000, lapsedFen: 0 } } });
    expect(await sys.client.ok(S.quotaLapse, { year: Y }, { principal: deltaOperator, idempotencyKey: ikey() })).toMatchObject({ balancesLapsed: 1, lapsedFen: 3_000_000 });

    const entries = await sql(sys.db.url, `SELECT enterprise_id, amount_fen FROM redemption.ledger_entries WHERE entry_type = 'quota_lapsed' ORDER BY amount_fen`);
    expect(entries).toEqual([
      { enterprise_id: a.id, amount_fen: 100_000n }, // the order cancelled after the year
      { enterprise_id: a.id, amount_fen: 900_000n },
      { enterprise_id: b.id, amount_fen: 2_000_000n },
      { enterprise_id: c.id, amount_fen: 3_000_000n },
    ]);
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
    await feed.until(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.outbox WHERE subject = $1 AND published_at IS NOT NULL`, [Events.quotaLapsed]))[0].n === 4, 'lapse events');
    const payloads = (await sql(sys.db.url, `SELECT envelope FROM redemption.outbox WHERE subject = $1 ORDER BY id`, [Events.quotaLapsed])).map((r) => r.envelope.payload);
    expect(payloads).toEqual(
      expect.arrayContaining([
        { enterpriseId: a.id, programmeId: JS, year: Y, amountFen: '100000' },
        { enterpriseId: a.id, programmeId: JS, year: Y, amountFen: 900_000 },
        { enterpriseId: b.id, programmeId: JS, year: Y, amountFen: 2_000_000 },
        { enterpriseId: c.id, programmeId: AH, year: Y, amountFen: 3_000_000 },
      ]),
    );
  });

  it('R-QUOTA-2: after the year the service itself lapses what no operator did (scheduled job), once', async () => {
    const d = await feed.enterprise('JS');
    await feed.quota(d.id, JS, 500_000);
    const job = sys.apps[0].get(QuotaLapseJob);
    expect(await job.tick()).toEqual([{ year: Y, balancesLapsed: 1, lapsedFen: 500_000, programmes: [{ programmeId: JS, balancesLapsed: 1, lapsedFen: 500_000 }] }]); // the stored (JSON) reply
    expect(await feed.balance(JS, d.id)).toMatchObject({ ok: true, data: { quota: { leftFen: 0, lapsedFen: 500_000 } } });
    expect(await job.tick()).toEqual([]);
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });
});
