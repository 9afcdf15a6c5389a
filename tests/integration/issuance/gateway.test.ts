import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Principal } from '@vc/contracts';
import { rowCounts, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { corruptCreditCode, newCreditCode } from '../../fixtures/credit-codes';
import { DEFAULT_PARAMETERS, key } from '../../fixtures/issuance';
import { auditor, enterprise, operatorOf, regionAdmin } from '../../fixtures/principals';

const YEAR = 2026;

describe('issuance through the HTTP gateway (supertest, real NATS + PostgreSQL)', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(issuanceService, { CLOCK_MODE: 'simulated', SIMULATED_NOW: '2026-09-01T09:00:00+08:00' });
    gateway = await bootstrapGateway(sys.config({ RATE_LIMIT_PER_MINUTE: 1_000_000 }), false);
    http = request(gateway.getHttpServer());
  });
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  const as = (p: Principal) => ({ Authorization: `Bearer ${tokenFor(p)}`, 'Idempotency-Key': key('h') });

  it('the whole issuance walk over HTTP: programme, region, enterprise, SME number, claims and quota; errors with the table status', async () => {
    const op = operatorOf('JS');
    const draft = await http.post('/v1/programmes').set(as(op)).send({ year: YEAR, ...DEFAULT_PARAMETERS }).expect(201);
    expect(draft.body).toMatchObject({ id: `JS-${YEAR}`, status: 'draft', annualCapFen: 10_000_000 });
    await http.put(`/v1/programmes/JS-${YEAR}`).set(as(op)).send({ ...DEFAULT_PARAMETERS, offsetRateBp: 3000 }).expect(200);
    const opened = await http.post(`/v1/programmes/JS-${YEAR}/open`).set(as(op)).expect(200);
    expect(opened.body).toMatchObject({ status: 'open', version: 1, offsetRateBp: 3000 });
    const listed = await http.get('/v1/programmes').query({ year: String(YEAR) }).set(as(auditor)).expect(200);
    expect(listed.body.items.map((p: { id: string }) => p.id)).toEqual([`JS-${YEAR}`]);

    const region = (await http.post('/v1/regions').set(as(op)).send({ name: '苏州高新区' }).expect(201)).body;
    expect(region).toMatchObject({ matchingRatio: '1.00', status: 'active' });
    expect((await http.patch(`/v1/regions/${region.id}`).set(as(op)).send({ matchingRatio: '0.80', reason: '财政调整' }).expect(200)).body.matchingRatio).toBe('0.80');

    const code = newCreditCode();
    const registered = (await http.post('/v1/enterprises').set(as(enterprise(code))).send({ creditCode: code, name: '苏州纳米科技有限公司', regionId: region.id }).expect(201)).body;
    const admin = regionAdmin(region.id);
    expect((await http.get('/v1/enterprises').query({ status: 'pending' }).set(as(admin)).expect(200)).body.items.map((x: { id: string }) => x.id)).toEqual([registered.id]);
    await http.post(`/v1/enterprises/${registered.id}/decision`).set(as(admin)).send({ decision: 'approve' }).expect(200);
    const me = enterprise(registered.id);
    const filed = await http.put(`/v1/enterprises/${registered.id}/sme-registrations/${YEAR}`).set(as(me)).send({ registrationNumber: '20263205000042' }).expect(200);
    expect(filed.body.smeRegistrations).toEqual([{ year: YEAR, registrationNumber: '20263205000042' }]);

    const claimed = await http.post(`/v1/enterprises/${registered.id}/quota-claims`).set(as(me)).send({ amountFen: 7_000_000 }).expect(201);
    expect(claimed.body).toMatchObject({ claimedFen: 7_000_000, remainingCapFen: 3_000_000, validUntil: `${YEAR}-12-31T16:00:00.000Z` });
    const over = await http.post(`/v1/enterprises/${registered.id}/quota-claims`).set(as(me)).send({ amountFen: 3_000_001 }).expect(422);
    expect(over.body).toMatchObject({ code: 'QUOTA_CAP_EXCEEDED', field: 'amountFen', details: { remainingFen: 3_000_000 } });
    const quota = await http.get(`/v1/enterprises/${registered.id}/quota`).query({ year: String(YEAR) }).set(as(me)).expect(200);
    expect(quota.body).toMatchObject({ spendableBalanceSubject: 'redemption.balance.get', years: [{ year: YEAR, claimedFen: 7_000_000, capFen: 10_000_000 }] });

    const audit = await http.get('/v1/audit/issuance').query({ entityType: 'enterprise', limit: '50' }).set(as(auditor)).expect(200);
    expect(audit.body.items.map((i: { action: string }) => i.action)).toEqual(
      expect.arrayContaining(['enterprise.registered', 'enterprise.approved', 'enterprise.sme-registered', 'quota.claimed']),
    );
  });

  it('cross-tenant and bad input over HTTP: 403/404/400 with the field, nothing written', async () => {
    await http.post('/v1/programmes').set(as(operatorOf('ZJ'))).send({ year: YEAR, ...DEFAULT_PARAMETERS }).expect(201);
    const before = await rowCounts(sys.db.url, 'issuance');
    const res = await http.put(`/v1/programmes/ZJ-${YEAR}`).set(as(operatorOf('JS'))).send({ ...DEFAULT_PARAMETERS, budgetFen: 1 }).expect(403);
    expect(res.body).toMatchObject({ code: 'FORBIDDEN', field: 'programmeId' });
    await http.get(`/v1/enterprises/00000000-0000-4000-8000-000000000000/quota`).set(as(enterprise(newCreditCode()))).expect(404);
    const bad = corruptCreditCode(newCreditCode());
    const invalid = await http.post('/v1/enterprises').set(as(enterprise(bad))).send({ creditCode: bad, name: 'x', regionId: '00000000-0000-4000-8000-000000000000' }).expect(400);
    expect(invalid.body).toMatchObject({ code: 'INVALID_CREDIT_CODE', field: 'creditCode' });
    const fractional = await http.post(`/v1/programmes`).set(as(operatorOf('AH'))).send({ year: YEAR, ...DEFAULT_PARAMETERS, budgetFen: 12.5 }).expect(400);
    expect(fractional.body).toMatchObject({ code: 'INVALID_AMOUNT', field: 'budgetFen' });
    const badYear = await http.put(`/v1/enterprises/00000000-0000-4000-8000-000000000000/sme-registrations/20x6`).set(as(enterprise(newCreditCode()))).send({ registrationNumber: '20263205000042' }).expect(400);
    expect(badYear.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'year' });
    expect(await rowCounts(sys.db.url, 'issuance')).toEqual(before);
  });
});
