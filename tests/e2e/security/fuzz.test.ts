import fc from 'fast-check';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Principal, Subjects } from '@vc/contracts';
import { rowCounts, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { registryService } from '../../../apps/registry/src/registry.module';
import { newCreditCode } from '../../fixtures/credit-codes';
import { approvedEnterprise, createRegion, DEFAULT_PARAMETERS, openProgramme } from '../../fixtures/issuance';
import { deltaOperator, enterprise, operatorOf, providerAccount, providerUnit } from '../../fixtures/principals';
import { malformedBody } from './malformed';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10000);
const YEAR = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();

interface Target {
  name: string;
  principal: Principal;
  subject: string;
  /** NATS body, complete */
  valid: Record<string, unknown>;
  /** HTTP route and the body fields that are not path parameters */
  http: { method: 'post' | 'put'; path: string; valid: Record<string, unknown> };
  money?: string[];
  codes?: string[];
}

const CLIENT_ERROR = /^(VALIDATION_FAILED|MALFORMED_REQUEST|INVALID_CREDIT_CODE|INVALID_AMOUNT|FORBIDDEN|NOT_FOUND|PAYLOAD_TOO_LARGE)$/;

describe('hostile input: malformed bodies over HTTP and NATS (fast-check)', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let targets: Target[];

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService);
    await sys.startService(issuanceService);
    gateway = await bootstrapGateway(sys.config({ RATE_LIMIT_PER_MINUTE: 1_000_000 }), false);
    await openProgramme(sys.client, 'JS', YEAR);
    const region = await createRegion(sys.client, 'JS');
    const ent = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    const code = newCreditCode();
    const provider = await sys.client.ok(
      Subjects.registry.providerApply,
      { creditCode: code, legalName: '模糊测试大学', unitName: '测试中心', kind: 'testing_centre', province: 'JS' },
      { principal: providerAccount(code), idempotencyKey: 'fz-setup' },
    );
    const applyBody = { creditCode: code, legalName: '模糊测试大学', unitName: '另一学院', kind: 'college', province: 'JS' };
    const publish = { category: 'testing', name: '检测', priceFen: 1000, unit: '次' };
    const programme = { year: YEAR + 1, ...DEFAULT_PARAMETERS };
    targets = [
      { name: 'apply provider', principal: providerAccount(code), subject: Subjects.registry.providerApply, valid: applyBody, http: { method: 'post', path: '/v1/providers', valid: applyBody }, codes: ['creditCode'] },
      {
        name: 'publish service',
        principal: providerUnit(provider.id),
        subject: Subjects.registry.serviceOfferingPublish,
        valid: { providerId: provider.id, ...publish },
        http: { method: 'post', path: `/v1/providers/${provider.id}/services`, valid: publish },
        money: ['priceFen'],
      },
      {
        name: 'file credit record',
        principal: operatorOf('JS'),
        subject: Subjects.registry.creditFile,
        valid: { creditCode: code, severity: 'general', reason: '测试', effectiveFrom: '2026-01-01' },
        http: { method: 'post', path: '/v1/credit-records', valid: { creditCode: code, severity: 'general', reason: '测试', effectiveFrom: '2026-01-01' } },
        codes: ['creditCode'],
      },
      {
        name: 'create programme',
        principal: operatorOf('JS'),
        subject: Subjects.issuance.programmeCreate,
        valid: programme,
        http: { method: 'post', path: '/v1/programmes', valid: programme },
        money: ['annualCapFen', 'budgetFen', 'rewardCapFen'],
      },
      {
        name: 'claim quota',
        principal: ent.principal,
        subject: Subjects.issuance.quotaClaim,
        valid: { enterpriseId: ent.id, amountFen: 1000 },
        http: { method: 'post', path: `/v1/enterprises/${ent.id}/quota-claims`, valid: { amountFen: 1000 } },
        money: ['amountFen'],
      },
      {
        name: 'register enterprise',
        principal: enterprise(code),
        subject: Subjects.issuance.enterpriseRegister,
        valid: { creditCode: code, name: '模糊企业', regionId: region.id },
        http: { method: 'post', path: '/v1/enterprises', valid: { creditCode: code, name: '模糊企业', regionId: region.id } },
        codes: ['creditCode'],
      },
    ];
  });

  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  it(`R-ERR-1: ${RUNS} malformed bodies → 100 % clean refusals, 0 server errors, 0 rows written`, async () => {
    const before = { registry: await rowCounts(sys.db.url, 'registry'), issuance: await rowCounts(sys.db.url, 'issuance') };
    const http = request(gateway.getHttpServer());
    const stats = { nats: 0, http: 0, serverErrors: 0, accepted: 0 };
    const perTarget = Math.ceil(RUNS / targets.length);
    let seq = 0;
    for (const t of targets) {
      const natsBodies = fc.sample(malformedBody(t.valid, t.money, t.codes), { numRuns: Math.ceil(perTarget * 0.6), seed: 7 });
      const httpBodies = fc.sample(malformedBody(t.http.valid, t.money, t.codes), { numRuns: perTarget - natsBodies.length, seed: 11 });
      for (let i = 0; i < natsBodies.length; i += 50) {
        const replies = await Promise.all(
          natsBodies.slice(i, i + 50).map((body) => sys.client.call(t.subject, body, { principal: t.principal, idempotencyKey: `fz-${++seq}` })),
        );
        for (const r of replies) {
          stats.nats++;
          if (r.ok) stats.accepted++;
          else if (!CLIENT_ERROR.test(r.error.code)) {
            stats.serverErrors++;
            throw new Error(`${t.name} over NATS answered ${JSON.stringify(r.error)}`);
          }
        }
      }
      const token = tokenFor(t.principal);
      for (let i = 0; i < httpBodies.length; i += 25) {
        const responses = await Promise.all(
          httpBodies.slice(i, i + 25).map((body) =>
            http[t.http.method](t.http.path)
              .set('Authorization', `Bearer ${token}`)
              .set('Idempotency-Key', `fzh-${++seq}`)
              .set('Content-Type', 'application/json')
              .send(JSON.stringify(body)),
          ),
        );
        for (const res of responses) {
          stats.http++;
          if (res.status < 300) stats.accepted++;
          if (res.status >= 500 || res.status < 400 || !CLIENT_ERROR.test(res.body.code)) {
            stats.serverErrors++;
            throw new Error(`${t.name} over HTTP answered ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
          }
        }
      }
    }
    console.log(`fuzz: ${stats.nats} NATS + ${stats.http} HTTP malformed bodies, ${stats.serverErrors} server errors, ${stats.accepted} accepted`);
    expect(stats).toMatchObject({ serverErrors: 0, accepted: 0 });
    expect(stats.nats + stats.http).toBeGreaterThanOrEqual(RUNS);
    expect({ registry: await rowCounts(sys.db.url, 'registry'), issuance: await rowCounts(sys.db.url, 'issuance') }).toEqual(before);
  }, 300000);

  it('a body over the size limit is refused with PAYLOAD_TOO_LARGE before it reaches a service', async () => {
    const res = await request(gateway.getHttpServer())
      .post('/v1/providers')
      .set('Authorization', `Bearer ${tokenFor(deltaOperator)}`)
      .set('Idempotency-Key', 'big')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ junk: 'x'.repeat(200_000) }));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
