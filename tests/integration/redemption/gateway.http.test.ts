import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Events, Principal } from '@vc/contracts';
import { eventually, rowCounts, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { newCreditCode } from '../../fixtures/credit-codes';
import { auditor, operatorOf } from '../../fixtures/principals';
import { ikey, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';
import { newInvoiceNumber } from '../../fixtures/invoices';

jest.setTimeout(120_000);

describe('redemption through the HTTP gateway (supertest; real NATS + PostgreSQL)', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let feed: UpstreamFeed;
  let JS: string;
  let ZJ: string;
  let provider: TestProvider;
  let ent: TestEnterprise;

  const bearer = (p: Principal) => `Bearer ${tokenFor(p)}`;
  const post = (path: string, p: Principal, body?: object, key: string | null = ikey('http')) => {
    const r = http.post(path).set('Authorization', bearer(p));
    if (key) r.set('Idempotency-Key', key);
    return body ? r.send(body) : r;
  };

  beforeAll(async () => {
    sys = await TestSystem.start();
    sys.apps.push(await bootstrapRedemption(sys.config()));
    gateway = await bootstrapGateway(sys.config(), false);
    http = request(gateway.getHttpServer());
    feed = new UpstreamFeed(sys);
    JS = await feed.programme('JS', { budgetFen: 1_000_000_000 });
    ZJ = await feed.programme('ZJ', { budgetFen: 1_000_000_000, mode: 'enterprise_reimbursed' });
    provider = await feed.provider();
    ent = await feed.enterprise('JS');
    await feed.quota(ent.id, JS, 10_000_000);
  });
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  async function offered(e: TestEnterprise, amountFen: number) {
    const res = await post('/v1/orders', provider.principal, { providerId: provider.id, enterpriseId: e.id, amountFen, description: '检测服务' }).expect(201);
    await post(`/v1/orders/${res.body.id}/confirm`, provider.principal).expect(200);
    return res.body;
  }

  it('R-ORDER-1 / R-OFFSET-1: the enterprise sees the quote, confirms and pays with the voucher over HTTP; lists its own orders', async () => {
    const order = await offered(ent, 1_234_567);
    const quote = await http.get(`/v1/orders/${order.id}/quote`).set('Authorization', bearer(ent.principal)).expect(200);
    expect(quote.body).toMatchObject({ voucherFen: 308_641, enterprisePaysFen: 925_926, refusal: null, programmeVersion: 1 });
    const confirmed = await post(`/v1/orders/${order.id}/confirm`, ent.principal).expect(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', programmeVersion: 1 });
    const key = ikey('pay');
    const paid = await post(`/v1/orders/${order.id}/pay`, ent.principal, undefined, key).expect(200);
    expect(paid.body).toMatchObject({ status: 'paid', voucherFen: 308_641, enterprisePaysFen: 925_926 });
    const retried = await post(`/v1/orders/${order.id}/pay`, ent.principal, undefined, key).expect(200);
    expect(retried.body).toEqual(paid.body);
    const mine = await http.get('/v1/orders').query({ status: 'paid', limit: '10' }).set('Authorization', bearer(ent.principal)).expect(200);
    expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([order.id]);
    const balance = await http.get(`/v1/programmes/${JS}/balance`).set('Authorization', bearer(ent.principal)).expect(200);
    expect(balance.body.quota).toMatchObject({ enterpriseId: ent.id, grantedFen: 10_000_000, leftFen: 10_000_000 - 308_641 });
  });

  it('R-OFFSET-3: the enterprise cancels before completion and gets its quota back', async () => {
    const order = await offered(ent, 400_000);
    await post(`/v1/orders/${order.id}/confirm`, ent.principal).expect(200);
    await post(`/v1/orders/${order.id}/pay`, ent.principal).expect(200);
    const before = (await http.get(`/v1/programmes/${JS}/balance`).set('Authorization', bearer(ent.principal)).expect(200)).body;
    const cancelled = await post(`/v1/orders/${order.id}/cancel`, ent.principal, { reason: '服务取消' }).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelReason: '服务取消' });
    const after = (await http.get(`/v1/programmes/${JS}/balance`).set('Authorization', bearer(ent.principal)).expect(200)).body;
    expect(after.quota.leftFen - before.quota.leftFen).toBe(100_000);
    expect(after.budget.leftFen - before.budget.leftFen).toBe(100_000);
  });

  it('R-CLAIM-1..3: in enterprise_reimbursed the enterprise submits, lists and amends its claim over HTTP', async () => {
    const e = await feed.enterprise('ZJ');
    await feed.quota(e.id, ZJ, 10_000_000);
    const order = await offered(e, 2_000_000);
    await post(`/v1/orders/${order.id}/confirm`, e.principal).expect(200);
    await post(`/v1/orders/${order.id}/pay`, e.principal).expect(200);
    await post(`/v1/orders/${order.id}/complete`, provider.principal).expect(200);
    const evidence = { orderId: order.id, contractRef: 'HT-9', invoiceNumber: newInvoiceNumber(), invoiceAmountFen: 2_000_000, bankTransferRef: 'TX-9', bankAmountFen: 2_000_000 };
    const short = await post('/v1/claims', e.principal, { ...evidence, bankAmountFen: 1_500_000 }).expect(422);
    expect(short.body).toMatchObject({ code: 'BANK_AMOUNT_INSUFFICIENT', field: 'bankAmountFen' });
    const claim = await post('/v1/claims', e.principal, evidence).expect(201);
    expect(claim.body).toMatchObject({ status: 'pending_review', payeeType: 'enterprise', payeeId: e.id, voucherFen: 500_000 });
    const dup = await post('/v1/claims', e.principal, evidence).expect(409);
    expect(dup.body).toMatchObject({ code: 'CLAIM_EXISTS' });
    // An amendment is a proposal until settlement answers it (not running here: its answer is sent for it)
    const amended = await post(`/v1/claims/${claim.body.id}/amend`, e.principal, { bankTransferRef: 'TX-9b', reason: '流水号更正' }).expect(200);
    expect(amended.body).toMatchObject({ revision: 1, bankTransferRef: 'TX-9', amendment: { status: 'proposed', revision: 2, proposed: { bankTransferRef: 'TX-9b' } } });
    await sys.events.publish(Events.settlementAmendmentAccepted, claim.body.id, { claimId: claim.body.id, revision: 2, state: 'pending' });
    await eventually(async () => {
      const got = await http.get(`/v1/claims/${claim.body.id}`).set('Authorization', bearer(e.principal));
      return got.body.revision === 2 && got.body.bankTransferRef === 'TX-9b' && got.body.amendment?.status === 'accepted';
    }, 15000);
    const list = await http.get('/v1/claims').set('Authorization', bearer(e.principal)).expect(200);
    expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([claim.body.id]);
    await http.get(`/v1/claims/${claim.body.id}`).set('Authorization', bearer(ent.principal)).expect(404);
  });

  it('R-ENT-3 / R-REG-2..4 / R-ERR-1: refusals are { code, message, field } with the status from the error table, and write nothing', async () => {
    const code = newCreditCode();
    const own = await feed.enterprise('JS', { creditCode: code });
    const sameEntity = await feed.provider({ creditCode: code });
    const order = await offered(ent, 100_000);
    const stranger = await feed.enterprise('JS');
    const before = await rowCounts(sys.db.url, 'redemption');
    const same = await post('/v1/orders', sameEntity.principal, { providerId: sameEntity.id, enterpriseId: own.id, amountFen: 100, description: 'x' }).expect(422);
    expect(same.body).toMatchObject({ code: 'SAME_LEGAL_ENTITY', field: 'enterpriseId' });
    expect(same.body.message).toEqual(expect.any(String));
    const fractional = await post('/v1/orders', provider.principal, { providerId: provider.id, enterpriseId: ent.id, amountFen: 1.5, description: 'x' }).expect(400);
    expect(fractional.body).toMatchObject({ code: 'INVALID_AMOUNT', field: 'amountFen' });
    const malformed = await http
      .post(`/v1/orders/${order.id}/pay`)
      .set('Authorization', bearer(ent.principal))
      .set('Idempotency-Key', ikey())
      .set('Content-Type', 'application/json')
      .send('{"x":')
      .expect(400);
    expect(malformed.body).toMatchObject({ code: 'MALFORMED_REQUEST' });
    const notConfirmed = await post(`/v1/orders/${order.id}/pay`, ent.principal).expect(409);
    expect(notConfirmed.body).toMatchObject({ code: 'ILLEGAL_STATE', field: 'orderId' });
    const noKey = await post(`/v1/orders/${order.id}/confirm`, ent.principal, undefined, null).expect(400);
    expect(noKey.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED', field: 'Idempotency-Key' });
    await http.get(`/v1/orders/${order.id}`).expect(401);
    await http.get('/v1/orders/not-a-uuid').set('Authorization', bearer(ent.principal)).expect(400);
    await http.get(`/v1/orders/${order.id}`).set('Authorization', bearer(stranger.principal)).expect(404);
    await post(`/v1/orders/${order.id}/confirm`, auditor).expect(403);
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);
    // revoked provider: refused with the reason
    await feed.providerEvent('voucher.events.provider.revoked', provider, { status: 'revoked', suspended: false });
    const revoked = await post(`/v1/orders/${order.id}/confirm`, ent.principal).expect(422);
    expect(revoked.body).toMatchObject({ code: 'PROVIDER_NOT_ACTIVE', field: 'providerId' });
    await feed.providerEvent('voucher.events.provider.reinstated', provider, { status: 'active', suspended: false });
  });

  it('operators read their programme, auditors the audit log; the routes are in the OpenAPI document', async () => {
    const op = await http.get('/v1/orders').set('Authorization', bearer(operatorOf('JS'))).expect(200);
    expect(op.body.items.length).toBeGreaterThan(0);
    expect(op.body.items.every((o: { programmeId: string }) => o.programmeId === JS)).toBe(true);
    const audit = await http.get('/v1/audit/redemption').query({ entityType: 'order', limit: '5' }).set('Authorization', bearer(auditor)).expect(200);
    expect(audit.body.items).toHaveLength(5);
    await http.get('/v1/audit/redemption').set('Authorization', bearer(ent.principal)).expect(403);
    const doc = await http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/v1/orders/{orderId}/pay', '/v1/claims', '/v1/programmes/{programmeId}/balance']));
  });
});
