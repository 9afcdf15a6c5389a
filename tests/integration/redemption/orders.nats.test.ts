import { Events, EVENT_STREAM, Subjects } from '@vc/contracts';
import { voucherAmount } from '@vc/domain';
import { rowCounts, sql, TestSystem } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { corruptCreditCode, newCreditCode } from '../../fixtures/credit-codes';
import { auditor, deltaOperator, enterprise as enterprisePrincipal, operatorOf, providerAccount } from '../../fixtures/principals';
import { confirmedOrder, ikey, ledgerDifferences, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';

const S = Subjects.redemption;
jest.setTimeout(120_000);

describe('redemption over NATS: orders and paying with a voucher (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let JS: string; // provider_redeems, 25 %
  let ZJ: string; // enterprise_reimbursed, 30 %
  let provider: TestProvider;
  let ent: TestEnterprise;

  beforeAll(async () => {
    sys = await TestSystem.start();
    sys.apps.push(await bootstrapRedemption(sys.config()));
    feed = new UpstreamFeed(sys);
    JS = await feed.programme('JS', { budgetFen: 1_000_000_000 });
    ZJ = await feed.programme('ZJ', { budgetFen: 1_000_000_000, offsetRateBp: 3000, mode: 'enterprise_reimbursed' });
    provider = await feed.provider({ province: 'SH' });
    ent = await feed.enterprise('JS');
    await feed.quota(ent.id, JS, 10_000_000);
  });
  afterAll(async () => sys?.stop());

  const create = (p: TestProvider, e: { id: string }, amountFen: unknown, extra: Record<string, unknown> = {}) =>
    sys.client.call(S.orderCreate, { providerId: p.id, enterpriseId: e.id, amountFen, description: '大型仪器机时', ...extra }, {
      principal: p.principal,
      idempotencyKey: ikey(),
    });

  it('R-ORDER-1: a provider creates an order, both confirm, the version effective at confirmation is recorded (R-PROG-1)', async () => {
    const created = await create(provider, ent, 500_000);
    expect(created).toMatchObject({ ok: true, data: { status: 'created', programmeId: JS, amountFen: 500000, programmeVersion: null } });
    const orderId = created.ok && created.data.id;
    const half = await sys.client.ok(S.orderConfirm, { orderId }, { principal: ent.principal, idempotencyKey: ikey() });
    expect(half).toMatchObject({ status: 'created', programmeVersion: null });
    expect(half.enterpriseConfirmedAt).toEqual(expect.any(String));
    const again = await sys.client.call(S.orderConfirm, { orderId }, { principal: ent.principal, idempotencyKey: ikey() });
    expect(again).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE', field: 'orderId' } });
    const both = await sys.client.ok(S.orderConfirm, { orderId }, { principal: provider.principal, idempotencyKey: ikey() });
    expect(both).toMatchObject({ status: 'confirmed', programmeVersion: 1, offsetRateBp: 2500, mode: 'provider_redeems' });
  });

  it('R-PROG-1: a new version applies to orders confirmed after it, never to those confirmed before', async () => {
    const e = await feed.enterprise('AH');
    const AH = await feed.programme('AH', { budgetFen: 100_000_000 });
    await feed.quota(e.id, AH, 5_000_000);
    const before = await confirmedOrder(sys.client, provider, e, 1_000_000);
    const pending = await sys.client.ok(S.orderCreate, { providerId: provider.id, enterpriseId: e.id, amountFen: 1_000_000, description: 'x' }, { principal: provider.principal, idempotencyKey: ikey() });
    await sys.client.ok(S.orderConfirm, { orderId: pending.id }, { principal: provider.principal, idempotencyKey: ikey() });
    await feed.programme('AH', { version: 2, budgetFen: 120_000_000, offsetRateBp: 4000, effectiveFrom: new Date() });
    const after = await sys.client.ok(S.orderConfirm, { orderId: pending.id }, { principal: e.principal, idempotencyKey: ikey() });
    expect(before).toMatchObject({ programmeVersion: 1, offsetRateBp: 2500 });
    expect(after).toMatchObject({ programmeVersion: 2, offsetRateBp: 4000 });
    const paidBefore = await sys.client.ok(S.orderPay, { orderId: before.id }, { principal: e.principal, idempotencyKey: ikey() });
    const paidAfter = await sys.client.ok(S.orderPay, { orderId: after.id }, { principal: e.principal, idempotencyKey: ikey() });
    expect(paidBefore.voucherFen).toBe(250_000);
    expect(paidAfter.voucherFen).toBe(400_000);
    // the version's budget increase (20,000,000 fen) was credited once
    expect((await feed.balance(AH)).ok && (await feed.balance(AH))).toMatchObject({ data: { version: 2, budget: { creditedFen: 120_000_000 } } });
  });

  it('R-OFFSET-1: floors 25 % of 12,345.67 yuan to 308,641 fen; the enterprise pays 925,926 fen (provider_redeems)', async () => {
    const order = await confirmedOrder(sys.client, provider, ent, 1_234_567);
    const quote = await sys.client.ok(S.orderQuote, { orderId: order.id }, { principal: ent.principal });
    expect(quote).toMatchObject({ byRateFen: 308_641, voucherFen: 308_641, enterprisePaysFen: 925_926, limitedBy: 'rate', refusal: null });
    const paid = await sys.client.ok(S.orderPay, { orderId: order.id }, { principal: provider.principal, idempotencyKey: ikey() });
    expect(paid).toMatchObject({ status: 'paid', voucherFen: 308_641, enterprisePaysFen: 925_926, amountFen: 1_234_567 });
    expect(paid.voucherFen).toBe(Number(voucherAmount({ amount: 1_234_567n, offsetRateBp: 2500, quotaLeft: 10n ** 9n, budgetLeft: 10n ** 9n }).voucher));
  });

  it('R-OFFSET-1: enterprise_reimbursed — the enterprise pays A and V is reimbursed to it later', async () => {
    const e = await feed.enterprise('ZJ');
    await feed.quota(e.id, ZJ, 1_000_000);
    const order = await confirmedOrder(sys.client, provider, e, 1_000_001);
    expect(order).toMatchObject({ mode: 'enterprise_reimbursed', offsetRateBp: 3000 });
    const paid = await sys.client.ok(S.orderPay, { orderId: order.id }, { principal: e.principal, idempotencyKey: ikey() });
    expect(paid).toMatchObject({ voucherFen: 300_000, enterprisePaysFen: 1_000_001 });
  });

  it('R-OFFSET-1: V is bounded by the quota left, and refused with QUOTA_EXHAUSTED when none is left', async () => {
    const e = await feed.enterprise('JS');
    await feed.quota(e.id, JS, 100_000);
    const first = await confirmedOrder(sys.client, provider, e, 1_000_000);
    const paid = await sys.client.ok(S.orderPay, { orderId: first.id }, { principal: e.principal, idempotencyKey: ikey() });
    expect(paid.voucherFen).toBe(100_000); // min(250,000, quota 100,000, budget)
    expect(paid.enterprisePaysFen).toBe(900_000);
    const second = await confirmedOrder(sys.client, provider, e, 1_000_000);
    const quote = await sys.client.ok(S.orderQuote, { orderId: second.id }, { principal: e.principal });
    expect(quote).toMatchObject({ voucherFen: 0, refusal: 'QUOTA_EXHAUSTED' });
    const before = await rowCounts(sys.db.url, 'redemption');
    const refused = await sys.client.call(S.orderPay, { orderId: second.id }, { principal: e.principal, idempotencyKey: ikey() });
    expect(refused).toMatchObject({ ok: false, error: { code: 'QUOTA_EXHAUSTED', field: 'orderId' } });
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);
    const order = await sys.client.ok(S.orderGet, { orderId: second.id }, { principal: e.principal });
    expect(order).toMatchObject({ status: 'confirmed', voucherFen: 0 });
  });

  it('R-OFFSET-1: V is bounded by the programme budget left, and refused with BUDGET_EXHAUSTED when none is left', async () => {
    const SH = await feed.programme('SH', { budgetFen: 300_000 });
    const [a, b] = [await feed.enterprise('SH'), await feed.enterprise('SH')];
    await feed.quota(a.id, SH, 1_000_000);
    await feed.quota(b.id, SH, 1_000_000);
    const o1 = await confirmedOrder(sys.client, provider, a, 1_000_000);
    const o2 = await confirmedOrder(sys.client, provider, b, 1_000_000);
    const o3 = await confirmedOrder(sys.client, provider, b, 1_000_000);
    expect((await sys.client.ok(S.orderPay, { orderId: o1.id }, { principal: a.principal, idempotencyKey: ikey() })).voucherFen).toBe(250_000);
    expect((await sys.client.ok(S.orderPay, { orderId: o2.id }, { principal: b.principal, idempotencyKey: ikey() })).voucherFen).toBe(50_000);
    const refused = await sys.client.call(S.orderPay, { orderId: o3.id }, { principal: b.principal, idempotencyKey: ikey() });
    expect(refused).toMatchObject({ ok: false, error: { code: 'BUDGET_EXHAUSTED' } });
    expect(await feed.balance(SH)).toMatchObject({ ok: true, data: { budget: { creditedFen: 300_000, leftFen: 0 } } });
  });

  it('R-OFFSET-3: cancelling a paid order before completion returns V to the budget and to the quota', async () => {
    const e = await feed.enterprise('JS');
    await feed.quota(e.id, JS, 1_000_000);
    const before = await feed.balance(JS, e.id);
    const order = await confirmedOrder(sys.client, provider, e, 800_000);
    await sys.client.ok(S.orderPay, { orderId: order.id }, { principal: e.principal, idempotencyKey: ikey() });
    const during = await feed.balance(JS, e.id);
    expect(BigInt(during.ok && during.data.quota.leftFen)).toBe(800_000n);
    const cancelled = await sys.client.ok(S.orderCancel, { orderId: order.id, reason: '仪器故障，服务无法提供' }, { principal: provider.principal, idempotencyKey: ikey() });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelReason: '仪器故障，服务无法提供' });
    expect(await feed.balance(JS, e.id)).toEqual(before);
    const again = await sys.client.call(S.orderCancel, { orderId: order.id, reason: 'again' }, { principal: e.principal, idempotencyKey: ikey() });
    expect(again).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE' } });
    // a completed order is no longer cancelled
    const done = await confirmedOrder(sys.client, provider, e, 100_000);
    await sys.client.ok(S.orderPay, { orderId: done.id }, { principal: e.principal, idempotencyKey: ikey() });
    await sys.client.ok(S.orderComplete, { orderId: done.id }, { principal: provider.principal, idempotencyKey: ikey() });
    expect(await sys.client.call(S.orderCancel, { orderId: done.id, reason: 'late' }, { principal: e.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'ILLEGAL_STATE' },
    });
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('R-ENT-3: an enterprise never buys voucher services from a provider of its own legal entity (SAME_LEGAL_ENTITY)', async () => {
    const code = newCreditCode();
    const e = await feed.enterprise('JS', { creditCode: code });
    const sameEntity = await feed.provider({ creditCode: code, province: 'JS' });
    const before = await rowCounts(sys.db.url, 'redemption');
    const refused = await create(sameEntity, e, 100_000);
    expect(refused).toMatchObject({ ok: false, error: { code: 'SAME_LEGAL_ENTITY', field: 'enterpriseId' } });
    const byCode = await sys.client.call(
      S.orderCreate,
      { providerId: sameEntity.id, enterpriseCreditCode: code, amountFen: 100_000, description: 'x' },
      { principal: providerAccount(code), idempotencyKey: ikey() },
    );
    expect(byCode).toMatchObject({ ok: false, error: { code: 'SAME_LEGAL_ENTITY', field: 'enterpriseCreditCode' } });
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);
  });

  it('R-REG-2..4: revoked, suspended and excluded providers are refused new orders and new voucher payments', async () => {
    const e = await feed.enterprise('JS');
    await feed.quota(e.id, JS, 5_000_000);
    const revoked = await feed.provider();
    const suspended = await feed.provider();
    const excluded = await feed.provider();
    // orders confirmed while active, then the registry acts
    const [o1, o2, o3] = [
      await confirmedOrder(sys.client, revoked, e, 100_000),
      await confirmedOrder(sys.client, suspended, e, 100_000),
      await confirmedOrder(sys.client, excluded, e, 100_000),
    ];
    await feed.providerEvent(Events.providerRevoked, revoked, { status: 'revoked', suspended: false });
    await feed.providerEvent(Events.providerSuspended, suspended, { status: 'active', suspended: true });
    await feed.providerEvent(Events.providerExcluded, excluded, { status: 'active', suspended: false, programmeId: JS });

    const before = await rowCounts(sys.db.url, 'redemption');
    expect(await create(revoked, e, 100_000)).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE', field: 'providerId' } });
    expect(await create(suspended, e, 100_000)).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE', field: 'providerId' } });
    expect(await create(excluded, e, 100_000)).toMatchObject({ ok: false, error: { code: 'PROVIDER_EXCLUDED', field: 'providerId' } });
    const pay = (orderId: string) => sys.client.call(S.orderPay, { orderId }, { principal: e.principal, idempotencyKey: ikey() });
    expect(await pay(o1.id)).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE' } });
    expect(await pay(o2.id)).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE' } });
    expect(await pay(o3.id)).toMatchObject({ ok: false, error: { code: 'PROVIDER_EXCLUDED' } });
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);

    // an exclusion is per programme; lifting it and a credit repair restore the provider
    await feed.providerEvent(Events.providerExclusionLifted, excluded, { status: 'active', suspended: false, programmeId: JS });
    await feed.providerEvent(Events.providerReinstated, suspended, { status: 'active', suspended: false });
    expect(await pay(o3.id)).toMatchObject({ ok: true, data: { status: 'paid' } });
    expect(await pay(o2.id)).toMatchObject({ ok: true, data: { status: 'paid' } });
  });

  it('R-REG-3: an order paid before revocation still completes', async () => {
    const e = await feed.enterprise('JS');
    await feed.quota(e.id, JS, 1_000_000);
    const p = await feed.provider();
    const order = await confirmedOrder(sys.client, p, e, 200_000);
    await sys.client.ok(S.orderPay, { orderId: order.id }, { principal: p.principal, idempotencyKey: ikey() });
    await feed.providerEvent(Events.providerRevoked, p, { status: 'revoked', suspended: false });
    const done = await sys.client.ok(S.orderComplete, { orderId: order.id }, { principal: p.principal, idempotencyKey: ikey() });
    expect(done.status).toBe('completed');
  });

  it('R-ERR-1: bad input gets a stable code and the field, and writes nothing', async () => {
    const before = await rowCounts(sys.db.url, 'redemption');
    const call = (body: unknown, opts: Record<string, unknown> = {}) =>
      sys.client.call(S.orderCreate, body, { principal: provider.principal, idempotencyKey: ikey(), ...opts });
    const valid = { providerId: provider.id, enterpriseId: ent.id, amountFen: 100, description: 'x' };
    expect(await call(null, { raw: '{"amountFen":' })).toMatchObject({ ok: false, error: { code: 'MALFORMED_REQUEST' } });
    expect(await call({ ...valid, amountFen: -5 })).toMatchObject({ ok: false, error: { code: 'INVALID_AMOUNT', field: 'amountFen' } });
    expect(await call({ ...valid, amountFen: 12.5 })).toMatchObject({ ok: false, error: { code: 'INVALID_AMOUNT', field: 'amountFen' } });
    expect(await call({ ...valid, amountFen: '1e3' })).toMatchObject({ ok: false, error: { code: 'INVALID_AMOUNT', field: 'amountFen' } });
    expect(await call({ ...valid, amountFen: 10 ** 12 + 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_AMOUNT', field: 'amountFen' } });
    expect(await call({ ...valid, providerId: 'nope' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'providerId' } });
    expect(await call({ ...valid, extra: 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'extra' } });
    const { enterpriseId: _omit, ...noEnterprise } = valid;
    expect(await call({ ...noEnterprise, enterpriseCreditCode: corruptCreditCode(ent.creditCode) })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CREDIT_CODE', field: 'enterpriseCreditCode' },
    });
    expect(await call(noEnterprise)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'enterpriseId' } });
    expect(await call({ ...valid, enterpriseId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'enterpriseId' } });
    expect(await call(valid, { idempotencyKey: undefined })).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_KEY_REQUIRED', field: 'Idempotency-Key' } });
    expect(await call(valid, { principal: undefined })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await call(valid, { principal: ent.principal })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await call(valid, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // unknown ids and wrong state on the hot path
    const pay = (body: unknown) => sys.client.call(S.orderPay, body, { principal: ent.principal, idempotencyKey: ikey() });
    expect(await pay({ orderId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'orderId' } });
    expect(await pay({ orderId: 42 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'orderId' } });
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);
    const created = await sys.client.ok(S.orderCreate, valid, { principal: provider.principal, idempotencyKey: ikey() });
    const mid = await rowCounts(sys.db.url, 'redemption');
    expect(await pay({ orderId: created.id })).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE', field: 'orderId' } });
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(mid);
  });

  it('a principal sees and changes only its own orders (cross-tenant → NOT_FOUND)', async () => {
    const order = await confirmedOrder(sys.client, provider, ent, 100_000);
    const stranger = await feed.enterprise('JS');
    const otherProvider = await feed.provider();
    expect(await sys.client.call(S.orderGet, { orderId: order.id }, { principal: stranger.principal })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sys.client.call(S.orderPay, { orderId: order.id }, { principal: stranger.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await sys.client.call(S.orderPay, { orderId: order.id }, { principal: otherProvider.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await sys.client.call(S.orderGet, { orderId: order.id }, { principal: operatorOf('ZJ') })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sys.client.call(S.orderGet, { orderId: order.id }, { principal: operatorOf('JS') })).toMatchObject({ ok: true });
    // the legal entity's account acts for its units; the enterprise may use its credit code
    expect(await sys.client.call(S.orderGet, { orderId: order.id }, { principal: providerAccount(provider.creditCode) })).toMatchObject({ ok: true });
    expect(await sys.client.call(S.orderGet, { orderId: order.id }, { principal: enterprisePrincipal(ent.creditCode) })).toMatchObject({ ok: true });
    const mine = await sys.client.ok(S.orderList, {}, { principal: stranger.principal });
    expect(mine.items).toEqual([]);
    const theirs = await sys.client.ok(S.orderList, { limit: 500 }, { principal: ent.principal });
    expect(theirs.items.map((o: { id: string }) => o.id)).toContain(order.id);
    expect(theirs.items.every((o: { enterpriseId: string }) => o.enterpriseId === ent.id)).toBe(true);
  });

  it('R-AUDIT-1: every state change of an order is recorded append-only with principal and reason; events go out through the outbox', async () => {
    const order = await confirmedOrder(sys.client, provider, ent, 300_000);
    await sys.client.ok(S.orderPay, { orderId: order.id }, { principal: provider.principal, idempotencyKey: ikey() });
    await sys.client.ok(S.orderCancel, { orderId: order.id, reason: '客户取消' }, { principal: ent.principal, idempotencyKey: ikey() });
    const page = await sys.client.ok(S.auditList, { entityType: 'order', entityId: order.id }, { principal: auditor });
    expect(page.items.map((a: { action: string }) => a.action)).toEqual([
      'order.created',
      'order.confirmed-by-provider',
      'order.confirmed-by-enterprise',
      'order.confirmed',
      'order.paid',
      'order.cancelled',
    ]);
    expect(page.items[4]).toMatchObject({ principalRole: 'provider', principalOrg: provider.id, data: { voucherFen: 75_000, limitedBy: 'rate' } });
    expect(page.items[5]).toMatchObject({ principalRole: 'enterprise', reason: '客户取消' });
    await expect(sql(sys.db.url, `UPDATE redemption.audit_log SET reason = 'x' WHERE entity_id = $1`, [order.id])).rejects.toThrow(/append-only/);
    await expect(sql(sys.db.url, `DELETE FROM redemption.ledger_entries`)).rejects.toThrow(/append-only/);

    await feed.until(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.outbox WHERE published_at IS NULL`))[0].n === 0, 'outbox relayed');
    const subjects = (await sql(sys.db.url, `SELECT subject FROM redemption.outbox WHERE aggregate_id = $1 ORDER BY id`, [order.id])).map((r) => r.subject);
    expect(subjects).toEqual([Events.orderCreated, Events.orderConfirmed, Events.orderPaid, Events.orderCancelled]);
    const jsm = await sys.client.nc.jetstreamManager();
    const [paidRow] = await sql(sys.db.url, `SELECT event_id FROM redemption.outbox WHERE aggregate_id = $1 AND subject = $2`, [order.id, Events.orderPaid]);
    const msg = await jsm.streams.getMessage(EVENT_STREAM, { last_by_subj: Events.orderPaid });
    expect(msg).toBeDefined();
    const [envelope] = await sql(sys.db.url, `SELECT envelope FROM redemption.outbox WHERE event_id = $1`, [paidRow.event_id]);
    expect(envelope.envelope).toMatchObject({
      id: paidRow.event_id,
      type: Events.orderPaid,
      aggregateType: 'order',
      aggregateId: order.id,
      payload: { orderId: order.id, programmeId: JS, programmeVersion: 1, status: 'paid', amountFen: 300_000, voucherFen: 75_000, enterprisePaysFen: 225_000 },
    });
  });

  it('upstream events: a malformed event is skipped and does not hold back the ones after it', async () => {
    await feed.publish(Events.providerAdmitted, 'x', { providerId: 'not-a-uuid', creditCode: 'x' });
    await feed.publish(Events.quotaGranted, 'x', { enterpriseId: ent.id, programmeId: JS, year: 'soon', amountFen: 'lots' });
    const p = await feed.provider(); // waits until applied: the consumer moved past the malformed event
    const e = await feed.enterprise('JS');
    await feed.quota(e.id, JS, 1_000);
    expect(await sql(sys.db.url, `SELECT status FROM redemption.providers WHERE id = $1`, [p.id])).toEqual([{ status: 'active' }]);
  });

  it('R-LEDGER-1: budget and quota identities hold, and balances can never go negative (CHECK)', async () => {
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
    await expect(sql(sys.db.url, `UPDATE redemption.budget_shards SET left_fen = -1 WHERE programme_id = $1 AND shard = 0`, [JS])).rejects.toThrow(/check constraint/);
    await expect(sql(sys.db.url, `UPDATE redemption.quota_balance SET left_fen = -1 WHERE enterprise_id = $1`, [ent.id])).rejects.toThrow(/check constraint/);
    const reply = await sys.client.ok(S.balanceGet, { programmeId: JS }, { principal: deltaOperator });
    const [sums] = await sql(
      sys.db.url,
      `SELECT sum(amount_fen) FILTER (WHERE entry_type = 'budget_credited') AS credited, coalesce(sum(amount_fen) FILTER (WHERE entry_type = 'budget_taken'), 0) AS taken,
              coalesce(sum(amount_fen) FILTER (WHERE entry_type = 'budget_returned'), 0) AS returned
         FROM redemption.ledger_entries WHERE programme_id = $1`,
      [JS],
    );
    expect(BigInt(reply.budget.leftFen)).toBe(BigInt(sums.credited) - BigInt(sums.taken) + BigInt(sums.returned));
  });
});
