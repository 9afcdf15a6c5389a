import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Role, Subjects } from '@vc/contracts';
import { TestSystem } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { registryService } from '../../../apps/registry/src/registry.module';

jest.setTimeout(60_000);

/**
 * The development sign-in issues a token for any principal: it must not exist unless asked for,
 * and then answer only callers on the gateway's own machine. Production refuses it at boot
 * (libs/config: DEV_SIGN_IN in production).
 */
describe('e2e security: the development sign-in is closed by default and loopback-only when opened', () => {
  let sys: TestSystem;
  const gateways: NestFastifyApplication[] = [];

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService);
  });
  afterAll(async () => {
    for (const g of gateways) await g.close();
    await sys?.stop();
  });

  const login = (gateway: NestFastifyApplication, remoteAddress: string) =>
    gateway.getHttpAdapter().getInstance().inject({ method: 'POST', url: '/v1/auth/dev-login', payload: { role: Role.DeltaOperator, org: 'DELTA' }, remoteAddress });

  it('without DEV_SIGN_IN the route does not exist, for anyone', async () => {
    const gateway = await bootstrapGateway(sys.config({ RATE_LIMIT_PER_MINUTE: 1_000_000 }), false);
    gateways.push(gateway);
    for (const from of ['127.0.0.1', '10.1.2.3']) {
      const res = await login(gateway, from);
      expect({ from, status: res.statusCode, code: res.json().code }).toEqual({ from, status: 404, code: 'NOT_FOUND' });
    }
  });

  it('with DEV_SIGN_IN=true it answers loopback callers only; its token is a principal the services accept', async () => {
    const gateway = await bootstrapGateway(sys.config({ RATE_LIMIT_PER_MINUTE: 1_000_000, DEV_SIGN_IN: 'true' }), false);
    gateways.push(gateway);
    for (const from of ['10.1.2.3', '192.168.1.20', '::ffff:10.0.0.1']) {
      expect({ from, status: (await login(gateway, from)).statusCode }).toEqual({ from, status: 404 });
    }
    const ok = await login(gateway, '127.0.0.1');
    expect(ok.statusCode).toBe(200);
    const { token } = ok.json();
    const listed = await sys.client.call(Subjects.registry.providerList, {}, { token });
    expect(listed).toMatchObject({ ok: true });
    // a service principal is never issued
    const service = await gateway.getHttpAdapter().getInstance().inject({ method: 'POST', url: '/v1/auth/dev-login', payload: { role: 'service', org: 'settlement' }, remoteAddress: '127.0.0.1' });
    expect(service.statusCode).toBe(400);
  });
});
