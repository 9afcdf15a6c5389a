import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Principal } from '@vc/contracts';
import { TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { registryService } from '../../../apps/registry/src/registry.module';
import { newCreditCode } from '../../fixtures/credit-codes';
import { enterprise, operatorOf } from '../../fixtures/principals';

const ANONYMOUS = 10;
const OPERATOR = 6;

/**
 * Issue 29: the rate limits are shared by every gateway instance (counted in a NATS KV bucket,
 * not in each process), and each kind of principal has its own budget. What an attacker would try:
 * spread a flood over the instances, flood concurrently, forge X-Forwarded-For.
 */
jest.setTimeout(120_000);

describe('rate limits shared by the gateways, a budget per kind of principal', () => {
  let sys: TestSystem;
  const gateways: NestFastifyApplication[] = [];
  let a: ReturnType<typeof request>;
  let b: ReturnType<typeof request>;
  let behindProxy: ReturnType<typeof request>;
  const limits = { RATE_LIMIT_PER_MINUTE: 1000, RATE_LIMIT_ANONYMOUS_PER_MINUTE: ANONYMOUS, RATE_LIMIT_OPERATOR_PER_MINUTE: OPERATOR };
  const as = (p: Principal) => `Bearer ${tokenFor(p)}`;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService);
    for (const extra of [{}, {}, { TRUSTED_PROXIES: '127.0.0.1' }]) gateways.push(await bootstrapGateway(sys.config({ ...limits, ...extra }), false));
    [a, b, behindProxy] = gateways.map((g) => request(g.getHttpServer()));
  });
  afterAll(async () => {
    for (const g of gateways) await g.close();
    await sys?.stop();
  });

  /** The counters are fixed one-minute windows: a case starts early in one, so that it ends in it. */
  async function freshWindow(): Promise<void> {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 20_000) await new Promise((r) => setTimeout(r, left + 200));
  }

  it('a flood of anonymous requests spread over two gateways, all at once, gets the budget once, not once per gateway', async () => {
    await freshWindow();
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).get('/health/live')));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(ANONYMOUS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40 - ANONYMOUS);
    const refused = replies.find((r) => r.status === 429)!;
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // a forged X-Forwarded-For is not believed where no proxy is trusted: the same address, refused
    await a.get('/health/live').set('X-Forwarded-For', '203.0.113.50').expect(429);
  });

  it('each kind of principal has its own budget: the public flood does not stop an operator or an enterprise, whose own budget holds over both gateways', async () => {
    const operator = as(operatorOf('JS'));
    const statuses: number[] = [];
    for (let i = 0; i < OPERATOR + 2; i++) statuses.push((await (i % 2 ? a : b).get('/v1/providers').set('Authorization', operator)).status);
    expect(statuses).toEqual([...Array(OPERATOR).fill(200), 429, 429]);
    // another operator, and an enterprise: budgets of their own
    await a.get('/v1/providers').set('Authorization', as(operatorOf('ZJ'))).expect(200);
    await b.get('/v1/providers').set('Authorization', as(enterprise(newCreditCode()))).expect(200);
  });

  it('behind a trusted proxy each forwarded client address has its own anonymous budget', async () => {
    await behindProxy.get('/health/live').set('X-Forwarded-For', '198.51.100.20').expect(200);
    await behindProxy.get('/health/live').set('X-Forwarded-For', '198.51.100.21').expect(200);
  });
});
