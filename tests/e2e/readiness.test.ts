import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Principal, Subjects } from '@vc/contracts';
import { eventually, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../apps/gateway/src/bootstrap';
import { newCreditCode } from '../fixtures/credit-codes';
import { approvedEnterprise, createRegion, key, openProgramme } from '../fixtures/issuance';
import { auditor, enterprise, providerAccount } from '../fixtures/principals';
import { startDeltaServices } from '../fixtures/services';

/**
 * Reads lag writes: a provider admitted, a programme opened, an enterprise approved reach
 * redemption and settlement through events. GET /v1/readiness says when they have; after it says
 * ready, the first order is accepted at once, without retrying.
 */
describe('e2e: a client knows when its new provider, enterprise and programme have reached redemption and settlement', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  const as = (p: Principal) => `Bearer ${tokenFor(p)}`;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await startDeltaServices(sys);
    gateway = await bootstrapGateway(sys.config(), false);
    http = request(gateway.getHttpServer());
  }, 120_000);
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  it('GET /v1/readiness: unknown, then known and ready; an order then goes through the first time', async () => {
    const code = newCreditCode();
    const provider = await sys.client.ok(Subjects.registry.providerApply, { creditCode: code, legalName: '南京示范大学', unitName: '现代分析中心', kind: 'testing_centre', province: 'JS' }, { principal: providerAccount(code), idempotencyKey: key() });
    const programme = await openProgramme(sys.client, 'JS', 2026);
    const region = await createRegion(sys.client, 'JS');
    const ent = await approvedEnterprise(sys.client, region.id, 'JS', 2026, '苏州示范科技有限公司');
    const query = { providerId: provider.id, enterpriseId: ent.id, programmeId: programme.id, regionId: region.id };

    const first = await http.get('/v1/readiness').query(query).set('Authorization', as(ent.principal)).expect(200);
    expect(Object.keys(first.body).sort()).toEqual(['ready', 'redemption', 'settlement']);
    const ready = await eventually(async () => {
      const r = await http.get('/v1/readiness').query(query).set('Authorization', as(ent.principal)).expect(200);
      return r.body.ready ? r.body : null;
    }, 20_000);
    expect(ready).toEqual({
      redemption: {
        provider: { known: true, status: 'active', version: expect.any(Number), usable: true },
        enterprise: { known: true, status: 'approved', version: null, usable: true },
        programme: { known: true, status: 'open', version: 1, usable: true },
        ready: true,
      },
      settlement: {
        programme: { known: true, status: 'open', version: 1, usable: true },
        region: { known: true, status: 'active', version: expect.any(Number), usable: true },
        enterprise: { known: true, status: 'approved', version: null, usable: true },
        ready: true,
      },
      ready: true,
    });
    // ready: the provider's first order is accepted at once
    const order = await sys.client.call(Subjects.redemption.orderCreate, { providerId: provider.id, enterpriseId: ent.id, amountFen: 100_000, description: '测试' }, { principal: providerAccount(code), idempotencyKey: key() });
    expect(order.ok).toBe(true);

    // another enterprise is not told whether this one exists; an auditor is
    const stranger = enterprise(newCreditCode(), 'JS');
    const probe = await http.get('/v1/readiness').query({ enterpriseId: ent.id }).set('Authorization', as(stranger)).expect(200);
    expect(probe.body).toMatchObject({ redemption: { enterprise: { known: false } }, settlement: { enterprise: { known: false } }, ready: false });
    expect((await http.get('/v1/readiness').query({ enterpriseId: ent.id }).set('Authorization', as(auditor)).expect(200)).body.ready).toBe(true);
    // not yet there: a programme nobody opened
    expect((await http.get('/v1/readiness').query({ programmeId: 'AH-2026' }).set('Authorization', as(auditor)).expect(200)).body).toMatchObject({ ready: false, redemption: { programme: { known: false } } });
    expect((await http.get('/v1/readiness').query({ bogus: '1' }).set('Authorization', as(auditor)).expect(400)).body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'bogus' });
    await http.get('/v1/readiness').expect(401);
  });
});
