import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../apps/gateway/src/bootstrap';
import { registryService } from '../../apps/registry/src/registry.module';
import { corruptCreditCode, newCreditCode } from '../fixtures/credit-codes';
import { deltaOperator, enterprise, operatorOf, providerAccount } from '../fixtures/principals';

describe('registry through the HTTP gateway (supertest, real NATS + PostgreSQL)', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService);
    gateway = await bootstrapGateway(sys.config(), false);
    http = request(gateway.getHttpServer());
  });
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  const bearer = (p: Parameters<typeof tokenFor>[0]) => `Bearer ${tokenFor(p)}`;

  it('R-REG-1: a provider applies over HTTP and the registry is searchable', async () => {
    const code = newCreditCode();
    const created = await http
      .post('/v1/providers')
      .set('Authorization', bearer(providerAccount(code)))
      .set('Idempotency-Key', 'h-1')
      .send({ creditCode: code, legalName: '浙江测试大学', unitName: '分析测试中心', kind: 'testing_centre', province: 'ZJ' })
      .expect(201);
    expect(created.body).toMatchObject({ status: 'active', province: 'ZJ' });

    const found = await http.get('/v1/providers').query({ province: 'ZJ', name: '浙江测试', limit: '10' }).set('Authorization', bearer(enterprise('e1'))).expect(200);
    expect(found.body.items.map((p: { id: string }) => p.id)).toContain(created.body.id);

    const eligible = await http
      .get(`/v1/providers/${created.body.id}/eligibility`)
      .query({ programmeId: 'JS-2026' })
      .set('Authorization', bearer(operatorOf('JS')))
      .expect(200);
    expect(eligible.body).toMatchObject({ eligible: true });
  });

  it('R-ID-1 / R-ERR-1: errors are { code, message, field } with the status from the error table', async () => {
    const bad = corruptCreditCode(newCreditCode());
    const res = await http
      .post('/v1/providers')
      .set('Authorization', bearer(providerAccount(bad)))
      .set('Idempotency-Key', 'h-2')
      .send({ creditCode: bad, legalName: 'x', unitName: 'y', kind: 'college', province: 'JS' })
      .expect(400);
    expect(res.body).toMatchObject({ code: 'INVALID_CREDIT_CODE', field: 'creditCode' });
    expect(res.body.message).toEqual(expect.any(String));

    const malformed = await http
      .post('/v1/providers')
      .set('Authorization', bearer(deltaOperator))
      .set('Content-Type', 'application/json')
      .send('{"creditCode":')
      .expect(400);
    expect(malformed.body).toMatchObject({ code: 'MALFORMED_REQUEST' });
    expect(JSON.stringify(malformed.body)).not.toMatch(/stack|at \//);

    await http.get('/v1/providers').expect(401).expect((r) => expect(r.body.code).toBe('UNAUTHENTICATED'));
    await http.get('/v1/providers').set('Authorization', 'Bearer forged.token.value').expect(401);
    await http.get('/v1/providers/00000000-0000-4000-8000-000000000000').set('Authorization', bearer(deltaOperator)).expect(404);
    const noKey = await http
      .post('/v1/providers')
      .set('Authorization', bearer(deltaOperator))
      .send({ creditCode: newCreditCode(), legalName: 'x', unitName: 'y', kind: 'college', province: 'JS' })
      .expect(400);
    expect(noKey.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED', field: 'Idempotency-Key' });
  });

  it('serves health and the OpenAPI document', async () => {
    await http.get('/health').expect(200);
    const doc = await http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toContain('/v1/providers');
  });
});
