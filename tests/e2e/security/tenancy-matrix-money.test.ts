import { INestApplication } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Principal, Subjects } from '@vc/contracts';
import { Clock } from '@vc/platform';
import { eventually, rowCounts, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { confirmedOrder, ikey, UpstreamFeed } from '../../fixtures/redemption';
import { auditor, deltaOperator, enterprise, operatorOf, providerUnit, regionAdmin } from '../../fixtures/principals';
import { newInvoiceNumber } from '../../fixtures/invoices';

interface Case {
  endpoint: string;
  method: 'get' | 'post';
  path: string;
  body?: Record<string, unknown>;
  outsiders: Array<[string, Principal]>;
}

/**
 * The tenancy matrix of the money paths (redemption and settlement; registry and issuance are in
 * tenancy-matrix.test.ts): every role × every endpoint that touches an organisation's order, claim
 * or settlement run, called on an object of ANOTHER organisation → 403/404, nothing written.
 */
describe('security matrix (money paths): roles × endpoints × objects of another organisation', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  const apps: INestApplication[] = [];
  let cases: Case[];

  beforeAll(async () => {
    sys = await TestSystem.start();
    const clock = { CLOCK_MODE: 'simulated' as const, SIMULATED_NOW: '2026-07-06T09:00:00+08:00' };
    const redemption = await bootstrapRedemption(sys.config({ ...clock, GRPC_PORT: 0 }));
    sys.apps.push(redemption);
    apps.push(redemption, await sys.startService(settlementService, clock));
    gateway = await bootstrapGateway(sys.config({ RATE_LIMIT_PER_MINUTE: 1_000_000 }), false);
    const feed = new UpstreamFeed(sys);
    const programmeId = await feed.programme('JS', { budgetFen: 100_000_000, year: 2026, effectiveFrom: new Date('2026-01-01T00:00:00+08:00') });
    const provider = await feed.provider({ province: 'SH' });
    const victim = await feed.enterprise('JS');
    await feed.quota(victim.id, programmeId, 1_000_000);
    const paidOrder = await confirmedOrder(sys.client, provider, victim, 400_000);
    const paid = await sys.client.ok(Subjects.redemption.orderPay, { orderId: paidOrder.id }, { principal: victim.principal, idempotencyKey: ikey() });
    await sys.client.ok(Subjects.redemption.orderComplete, { orderId: paid.id }, { principal: provider.principal, idempotencyKey: ikey() });
    const claim = await sys.client.ok(
      Subjects.redemption.claimSubmit,
      { orderId: paid.id, contractRef: 'HT-1', invoiceNumber: newInvoiceNumber(), invoiceAmountFen: 400_000, bankTransferRef: 'BK-1', bankAmountFen: 300_000 },
      { principal: provider.principal, idempotencyKey: ikey() },
    );
    const openOrder = await confirmedOrder(sys.client, provider, victim, 100_000);
    apps.forEach((app) => app.get(Clock).set(new Date('2026-10-09T10:00:00+08:00')));
    const run = await eventually(async () => {
      const r = await sys.client.call(Subjects.settlement.runStart, { programmeId, quarter: '2026Q3', sampleRateBp: 0 }, { principal: operatorOf('JS'), idempotencyKey: 'start' });
      return r.ok && r.data.collectedCount === 1 ? r.data : null;
    }, 20000);

    const otherEnterprise = enterprise('00000000-0000-4000-8000-0000000000e2');
    const otherProvider = providerUnit('00000000-0000-4000-8000-0000000000a2');
    const otherRegion = regionAdmin('00000000-0000-4000-8000-0000000000b2');
    const zj = operatorOf('ZJ');
    const outsiders: Array<[string, Principal]> = [
      ['enterprise of another org', otherEnterprise],
      ['provider of another org', otherProvider],
      ['admin of another region', otherRegion],
      ['operator of another province', zj],
    ];
    const writers = (...extra: Array<[string, Principal]>) => [...outsiders, ['auditor (read-only)', auditor] as [string, Principal], ...extra];
    cases = [
      { endpoint: 'read order', method: 'get', path: `/v1/orders/${paid.id}`, outsiders },
      { endpoint: 'quote order', method: 'get', path: `/v1/orders/${openOrder.id}/quote`, outsiders },
      { endpoint: 'pay order', method: 'post', path: `/v1/orders/${openOrder.id}/pay`, outsiders: writers(['delta desk', deltaOperator]) },
      { endpoint: 'cancel order', method: 'post', path: `/v1/orders/${openOrder.id}/cancel`, body: { reason: 'x' }, outsiders: writers() },
      { endpoint: 'confirm order', method: 'post', path: `/v1/orders/${openOrder.id}/confirm`, outsiders: writers(['delta desk', deltaOperator]) },
      { endpoint: 'complete order', method: 'post', path: `/v1/orders/${openOrder.id}/complete`, outsiders: writers() },
      {
        endpoint: 'submit claim',
        method: 'post',
        path: '/v1/claims',
        body: { orderId: paid.id, contractRef: 'x', invoiceNumber: newInvoiceNumber(), invoiceAmountFen: 100_000, bankTransferRef: 'x', bankAmountFen: 75_000 },
        outsiders: writers(),
      },
      { endpoint: 'read claim', method: 'get', path: `/v1/claims/${claim.id}`, outsiders },
      { endpoint: 'amend claim', method: 'post', path: `/v1/claims/${claim.id}/amend`, body: { contractRef: 'y', reason: 'x' }, outsiders: writers() },
      { endpoint: "read an enterprise's quota", method: 'get', path: `/v1/programmes/${programmeId}/balance?enterpriseId=${victim.id}`, outsiders: [outsiders[0], outsiders[1], outsiders[3]] },
      { endpoint: 'read run', method: 'get', path: `/v1/settlement/runs/${run.id}`, outsiders },
      { endpoint: "read a run's claims", method: 'get', path: `/v1/settlement/runs/${run.id}/claims`, outsiders },
      { endpoint: 'review run', method: 'post', path: `/v1/settlement/runs/${run.id}/review`, body: { approveAll: true }, outsiders: writers(['delta desk', deltaOperator]) },
      { endpoint: 'publish run', method: 'post', path: `/v1/settlement/runs/${run.id}/publish`, outsiders: writers(['delta desk', deltaOperator]) },
      { endpoint: 'disburse run', method: 'post', path: `/v1/settlement/runs/${run.id}/disburse`, outsiders: writers(['delta desk', deltaOperator]) },
      { endpoint: "read a run's instructions", method: 'get', path: `/v1/settlement/runs/${run.id}/instructions`, outsiders },
      { endpoint: 'redemption audit log', method: 'get', path: '/v1/audit/redemption', outsiders },
      { endpoint: 'settlement audit log', method: 'get', path: '/v1/audit/settlement', outsiders },
    ];
  }, 180000);

  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  it('every case is refused with 403 or 404 and nothing is written', async () => {
    const before = { redemption: await rowCounts(sys.db.url, 'redemption'), settlement: await rowCounts(sys.db.url, 'settlement') };
    const http = request(gateway.getHttpServer());
    let count = 0;
    const failures: string[] = [];
    for (const c of cases) {
      for (const [who, principal] of c.outsiders) {
        let req = http[c.method](c.path).set('Authorization', `Bearer ${tokenFor(principal)}`).set('Idempotency-Key', `mm-${count}`);
        if (c.body) req = req.send(c.body);
        const res = await req;
        count++;
        // a 404 must be the object's, not a route that does not exist (which would prove nothing)
        if (![403, 404].includes(res.status) || res.body?.message === 'no such route') failures.push(`${c.endpoint} as ${who} (${principal.role}): ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    console.log(`security matrix (money paths): ${count} cases over ${cases.length} endpoints`);
    expect(failures).toEqual([]);
    expect({ redemption: await rowCounts(sys.db.url, 'redemption'), settlement: await rowCounts(sys.db.url, 'settlement') }).toEqual(before);
  });
});
