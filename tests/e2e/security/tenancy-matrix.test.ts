import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Principal, Role, Subjects } from '@vc/contracts';
import { rowCounts, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { registryService } from '../../../apps/registry/src/registry.module';
import { newCreditCode } from '../../fixtures/credit-codes';
import { approvedEnterprise, createRegion, DEFAULT_PARAMETERS, openProgramme } from '../../fixtures/issuance';
import { auditor, deltaOperator, enterprise, operatorOf, providerAccount, providerUnit, regionAdmin } from '../../fixtures/principals';

const YEAR = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();

interface Case {
  endpoint: string;
  method: 'get' | 'post' | 'put' | 'patch';
  path: string;
  body?: Record<string, unknown>;
  /** principals of other organisations (or roles) that must be refused */
  outsiders: Array<[string, Principal]>;
}

/**
 * OWASP API1 (broken object-level authorization): every role × every endpoint that touches an
 * organisation's object, called with an object of ANOTHER organisation → 403/404, nothing written.
 */
describe('security matrix: roles × endpoints × objects of another organisation', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let cases: Case[];

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService);
    await sys.startService(issuanceService);
    gateway = await bootstrapGateway(sys.config({ RATE_LIMIT_PER_MINUTE: 1_000_000 }), false);
    await openProgramme(sys.client, 'JS', YEAR);
    const region = await createRegion(sys.client, 'JS', '甲区');
    const otherRegion = await createRegion(sys.client, 'JS', '乙区');
    const victim = await approvedEnterprise(sys.client, region.id, 'JS', YEAR, '受害企业');
    const code = newCreditCode();
    const provider = await sys.client.ok(
      Subjects.registry.providerApply,
      { creditCode: code, legalName: '甲大学', unitName: '甲学院', kind: 'college', province: 'JS' },
      { principal: providerAccount(code), idempotencyKey: 'm-1' },
    );
    const record = await sys.client.ok(
      Subjects.registry.creditFile,
      { creditCode: code, severity: 'general', reason: 'x', effectiveFrom: '2020-01-01' },
      { principal: operatorOf('JS'), idempotencyKey: 'm-2' },
    );
    const complaint = await sys.client.ok(
      Subjects.registry.complaintFile,
      { providerId: provider.id, category: 'violation', description: 'x' },
      { principal: victim.principal, idempotencyKey: 'm-3' },
    );

    const otherEnterprise = enterprise('00000000-0000-4000-8000-0000000000e1');
    const otherProvider = providerUnit('00000000-0000-4000-8000-0000000000a1');
    const otherRegionAdmin = regionAdmin(otherRegion.id);
    const otherOperator = operatorOf('ZJ');
    const everyoneElse: Array<[string, Principal]> = [
      ['enterprise of another org', otherEnterprise],
      ['provider of another org', otherProvider],
      ['admin of another region', otherRegionAdmin],
      ['operator of another province', otherOperator],
    ];
    const writers = (...extra: Array<[string, Principal]>) => [...everyoneElse, ['auditor (read-only)', auditor] as [string, Principal], ...extra];

    cases = [
      { endpoint: 'read enterprise', method: 'get', path: `/v1/enterprises/${victim.id}`, outsiders: [everyoneElse[0], everyoneElse[1], everyoneElse[2], everyoneElse[3]] },
      { endpoint: 'read quota', method: 'get', path: `/v1/enterprises/${victim.id}/quota`, outsiders: everyoneElse },
      { endpoint: 'claim quota', method: 'post', path: `/v1/enterprises/${victim.id}/quota-claims`, body: { amountFen: 100 }, outsiders: writers(['delta desk', deltaOperator]) },
      {
        endpoint: 'set SME number',
        method: 'put',
        path: `/v1/enterprises/${victim.id}/sme-registrations/${YEAR}`,
        body: { registrationNumber: '20260000000001' },
        outsiders: writers(['admin of its region', regionAdmin(region.id)]),
      },
      { endpoint: 'decide enterprise', method: 'post', path: `/v1/enterprises/${victim.id}/decision`, body: { decision: 'reject', reason: 'x' }, outsiders: writers(['delta desk', deltaOperator]) },
      { endpoint: 'read region', method: 'get', path: `/v1/regions/${region.id}`, outsiders: [['admin of another region', otherRegionAdmin]] },
      { endpoint: 'update region', method: 'patch', path: `/v1/regions/${region.id}`, body: { status: 'withdrawn', reason: 'x' }, outsiders: writers(['admin of the region', regionAdmin(region.id)]) },
      {
        endpoint: 'change programme',
        method: 'put',
        path: `/v1/programmes/JS-${YEAR}`,
        body: { ...DEFAULT_PARAMETERS, budgetFen: 2_000_000_000 },
        outsiders: writers(['delta desk', deltaOperator], ['admin of its region', regionAdmin(region.id)]),
      },
      { endpoint: 'close programme', method: 'post', path: `/v1/programmes/JS-${YEAR}/close`, outsiders: writers(['delta desk', deltaOperator]) },
      {
        endpoint: 'publish a service for a provider',
        method: 'post',
        path: `/v1/providers/${provider.id}/services`,
        body: { category: 'testing', name: 'x', priceFen: 100, unit: '次' },
        outsiders: writers(['account of another legal entity', providerAccount(newCreditCode())]),
      },
      {
        endpoint: 'exclude provider from a programme',
        method: 'post',
        path: `/v1/providers/${provider.id}/exclusions`,
        body: { programmeId: `JS-${YEAR}`, reason: 'x' },
        outsiders: writers(['delta desk', deltaOperator]),
      },
      { endpoint: 'repair a credit record', method: 'post', path: `/v1/credit-records/${record.id}/repair`, body: { reason: 'x' }, outsiders: writers() },
      { endpoint: 'decide a complaint', method: 'post', path: `/v1/complaints/${complaint.id}/decision`, body: { decision: 'uphold', reason: 'x' }, outsiders: [everyoneElse[0], everyoneElse[1], everyoneElse[2], ['auditor (read-only)', auditor]] },
      { endpoint: 'review a provider', method: 'post', path: `/v1/providers/${provider.id}/review`, body: { decision: 'reject', reason: 'x' }, outsiders: writers() },
      { endpoint: 'registry audit log', method: 'get', path: '/v1/audit/registry', outsiders: everyoneElse },
      { endpoint: 'issuance audit log', method: 'get', path: '/v1/audit/issuance', outsiders: everyoneElse },
    ];
  });

  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  it('every case is refused with 403 or 404 and nothing is written', async () => {
    const before = { registry: await rowCounts(sys.db.url, 'registry'), issuance: await rowCounts(sys.db.url, 'issuance') };
    const http = request(gateway.getHttpServer());
    let count = 0;
    const failures: string[] = [];
    for (const c of cases) {
      for (const [who, principal] of c.outsiders) {
        let req = http[c.method](c.path).set('Authorization', `Bearer ${tokenFor(principal)}`).set('Idempotency-Key', `mx-${count}`);
        if (c.body) req = req.send(c.body);
        const res = await req;
        count++;
        // a 404 must be the object's, not a route that does not exist (which would prove nothing)
        if (![403, 404].includes(res.status) || res.body?.message === 'no such route') failures.push(`${c.endpoint} as ${who} (${principal.role}): ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
    console.log(`security matrix: ${count} cases over ${cases.length} endpoints and ${new Set(cases.flatMap((c) => c.outsiders.map(([, p]) => p.role))).size} roles`);
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(60);
    expect({ registry: await rowCounts(sys.db.url, 'registry'), issuance: await rowCounts(sys.db.url, 'issuance') }).toEqual(before);
  });

  it('Role is what the token says: a forged or unsigned token is refused', async () => {
    const http = request(gateway.getHttpServer());
    const unsigned = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url') + '.' + Buffer.from(JSON.stringify({ sub: 'x', role: Role.DeltaOperator, org: 'DELTA' })).toString('base64url') + '.';
    await http.get('/v1/audit/registry').set('Authorization', `Bearer ${unsigned}`).expect(401);
  });
});
