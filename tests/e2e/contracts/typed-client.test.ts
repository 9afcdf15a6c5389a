import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { Principal, Role } from '@vc/contracts';
import { eventually, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { voucherApi, VoucherApi } from '../../../scripts/examples/http-client/client';
import { newCreditCode } from '../../fixtures/credit-codes';
import { operatorOf, providerAccount, providerUnit, regionAdmin } from '../../fixtures/principals';
import { SIMULATED_CLOCK, startDeltaServices } from '../../fixtures/services';

/**
 * The client generated from docs/openapi.json (openapi-typescript types + openapi-fetch) drives a
 * voucher payment end to end against the running system over real HTTP: every call below is
 * type-checked against the document by `npm run typecheck`, and answered as typed here.
 */
describe('the typed client generated from docs/openapi.json drives a voucher payment (real HTTP, PostgreSQL, NATS)', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await startDeltaServices(sys, SIMULATED_CLOCK);
    gateway = await bootstrapGateway(sys.config(SIMULATED_CLOCK), false);
    await gateway.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(gateway.getHttpServer().address() as AddressInfo).port}`;
  }, 120000);
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  const as = (principal: Principal): VoucherApi => voucherApi({ baseUrl, token: tokenFor(principal) });
  const key = () => ({ header: { 'Idempotency-Key': randomUUID() } });

  it('R-OFFSET-1: registry → programme → enterprise → quota → order → payment, typed from the document', async () => {
    const code = newCreditCode();
    const provider = await as(providerAccount(code)).POST('/v1/providers', {
      params: key(),
      body: { creditCode: code, legalName: '上海示范大学', unitName: '分析测试中心', kind: 'testing_centre', province: 'SH' },
    });
    expect(provider.response.status).toBe(201);
    const unit = provider.data!;
    expect(unit.status).toBe('active');

    const js = as(operatorOf('JS'));
    const programme = await js.POST('/v1/programmes', {
      params: key(),
      body: { year: 2026, offsetRateBp: 2500, annualCapFen: 10_000_000, budgetFen: 500_000_000, mode: 'provider_redeems', publicityWorkingDays: 5, matchingDeadlineMonths: 3, rewardRateBp: 500, rewardCapFen: 50_000_000 },
    });
    expect(programme.data?.effectiveFrom).toBeNull();
    const opened = await js.POST('/v1/programmes/{programmeId}/open', { params: { ...key(), path: { programmeId: 'JS-2026' } } });
    expect(opened.data).toMatchObject({ status: 'open', version: 1 });
    const region = (await js.POST('/v1/regions', { params: key(), body: { name: '苏州工业园区' } })).data!;

    const entCode = newCreditCode('320594');
    const self: Principal = { sub: `user-${entCode}`, role: Role.Enterprise, org: entCode, province: 'JS' };
    const registered = (await as(self).POST('/v1/enterprises', { params: key(), body: { creditCode: entCode, name: '苏州光子芯片科技有限公司', regionId: region.id } })).data!;
    await as(regionAdmin(region.id)).POST('/v1/enterprises/{enterpriseId}/decision', { params: { ...key(), path: { enterpriseId: registered.id } }, body: { decision: 'approve' } });
    const ent = as({ ...self, org: registered.id });
    await ent.PUT('/v1/enterprises/{enterpriseId}/sme-registrations/{year}', { params: { ...key(), path: { enterpriseId: registered.id, year: 2026 } }, body: { registrationNumber: '20263205000123' } });
    const granted = await ent.POST('/v1/enterprises/{enterpriseId}/quota-claims', { params: { ...key(), path: { enterpriseId: registered.id } }, body: { amountFen: 10_000_000 } });
    expect(granted.data?.remainingCapFen).toBe(0);

    // a refusal is typed by its status: the 422 codes of this operation
    const over = await ent.POST('/v1/enterprises/{enterpriseId}/quota-claims', { params: { ...key(), path: { enterpriseId: registered.id } }, body: { amountFen: 1 } });
    expect(over.response.status).toBe(422);
    const refusal: string | undefined = over.error?.code;
    expect(refusal).toBe('QUOTA_CAP_EXCEEDED');

    await eventually(async () => (await ent.GET('/v1/programmes/{programmeId}/balance', { params: { path: { programmeId: 'JS-2026' } } })).data?.quota?.leftFen === 10_000_000, 20000);
    const system = as(providerUnit(unit.id));
    const created = await eventually(async () => {
      const r = await system.POST('/v1/orders', { params: key(), body: { providerId: unit.id, enterpriseId: registered.id, amountFen: 1_234_567, description: '扫描电镜测试' } });
      return r.data ?? null;
    }, 20000);
    expect(created!.programmeVersion).toBeNull();
    const order = { params: { path: { orderId: created!.id } } };
    await system.POST('/v1/orders/{orderId}/confirm', { params: { ...order.params, ...key() } });
    await ent.POST('/v1/orders/{orderId}/confirm', { params: { ...order.params, ...key() } });
    const quote = (await ent.GET('/v1/orders/{orderId}/quote', order)).data!;
    expect(quote).toMatchObject({ byRateFen: 308_641, limitedBy: 'rate', refusal: null });
    const payKey = key();
    const paid = await ent.POST('/v1/orders/{orderId}/pay', { params: { ...order.params, ...payKey } });
    const retried = await ent.POST('/v1/orders/{orderId}/pay', { params: { ...order.params, ...payKey } });
    expect(paid.data).toMatchObject({ status: 'paid', voucherFen: 308_641, enterprisePaysFen: 925_926, programmeVersion: 1, mode: 'provider_redeems' });
    expect(retried.data).toEqual(paid.data);
  });
});
