import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../apps/gateway/src/bootstrap';
import { bootstrapRedemption } from '../../apps/redemption/src/bootstrap';
import { confirmedOrder, TestEnterprise, TestProvider, UpstreamFeed } from '../fixtures/redemption';

describe('redemption through the HTTP gateway (enterprise side, supertest, real NATS + PostgreSQL)', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let feed: UpstreamFeed;
  let programmeId: string;
  let provider: TestProvider;
  let ent: TestEnterprise;
  let other: TestEnterprise;

  beforeAll(async () => {
    sys = await TestSystem.start();
    sys.apps.push(await bootstrapRedemption(sys.config({ GRPC_PORT: 0 })));
    gateway = await bootstrapGateway(sys.config(), false);
    http = request(gateway.getHttpServer());
    feed = new UpstreamFeed(sys);
    programmeId = await feed.programme('JS', { budgetFen: 100_000_000 });
    provider = await feed.provider({ province: 'ZJ' });
    ent = await feed.enterprise('JS');
    other = await feed.enterprise('JS');
    await feed.quota(ent.id, programmeId, 1_000_000);
    await feed.quota(other.id, programmeId, 1_000_000);
  });
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  const as = (e: TestEnterprise) => `Bearer ${tokenFor(e.principal)}`;

  it('R-OFFSET-1 / R-OFFSET-2: an enterprise sees the quote, pays once over HTTP, and a retry returns the first reply', async () => {
    const order = await confirmedOrder(sys.client, provider, ent, 1_234_567);
    const quote = await http.get(`/v1/orders/${order.id}/quote`).set('Authorization', as(ent)).expect(200);
    expect(quote.body).toMatchObject({ voucherFen: 308_641, enterprisePaysFen: 925_926 });
    const first = await http.post(`/v1/orders/${order.id}/pay`).set('Authorization', as(ent)).set('Idempotency-Key', 'pay-1').expect(200);
    const retry = await http.post(`/v1/orders/${order.id}/pay`).set('Authorization', as(ent)).set('Idempotency-Key', 'pay-1').expect(200);
    expect(retry.body).toEqual(first.body);
    expect(first.body).toMatchObject({ status: 'paid', voucherFen: 308_641 });
    const mine = await http.get('/v1/orders').set('Authorization', as(ent)).expect(200);
    expect(mine.body.items.map((o: { id: string }) => o.id)).toContain(order.id);
    const balance = await http.get(`/v1/programmes/${programmeId}/balance`).set('Authorization', as(ent)).expect(200);
    expect(balance.body.quota).toMatchObject({ grantedFen: 1_000_000, leftFen: 1_000_000 - 308_641 });
  });

  it('an enterprise never reads or pays another enterprise’s order (cross-tenant → 404, nothing written)', async () => {
    const order = await confirmedOrder(sys.client, provider, ent, 100_000);
    await http.get(`/v1/orders/${order.id}`).set('Authorization', as(other)).expect(404);
    await http.post(`/v1/orders/${order.id}/pay`).set('Authorization', as(other)).set('Idempotency-Key', 'x-1').expect(404);
    const theirs = await http.get('/v1/orders').set('Authorization', as(other)).expect(200);
    expect(theirs.body.items.map((o: { id: string }) => o.id)).not.toContain(order.id);
    const still = await http.get(`/v1/orders/${order.id}`).set('Authorization', as(ent)).expect(200);
    expect(still.body.status).toBe('confirmed');
  });
});
