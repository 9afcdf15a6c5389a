import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { GatewayMetricsServer } from '../../../apps/gateway/src/metrics.server';
import { deltaOperator } from '../../fixtures/principals';

/**
 * Issue 29: the gateway's metrics were public on its HTTP port. They are served on an internal
 * port of their own (METRICS_PORT), and only there.
 */
jest.setTimeout(60_000);

describe('the gateway serves its metrics on an internal port only', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let bare: NestFastifyApplication;

  beforeAll(async () => {
    sys = await TestSystem.start();
    gateway = await bootstrapGateway(sys.config({ METRICS_PORT: 0 }), false);
    bare = await bootstrapGateway(sys.config(), false);
  });
  afterAll(async () => {
    await gateway?.close();
    await bare?.close();
    await sys?.stop();
  });

  it('the public port has no /metrics, for anyone; the metrics port serves them', async () => {
    const http = request(gateway.getHttpServer());
    await http.get('/metrics').expect(404);
    await http.get('/metrics').set('Authorization', `Bearer ${tokenFor(deltaOperator)}`).expect(404);
    const port = gateway.get(GatewayMetricsServer).port;
    expect(port).toBeGreaterThan(0);
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('process_resident_memory_bytes');
    // nothing else is served there
    expect((await fetch(`http://127.0.0.1:${port}/v1/providers`)).status).toBe(404);
  });

  it('without METRICS_PORT the gateway serves no metrics at all', async () => {
    expect(bare.get(GatewayMetricsServer).port).toBeNull();
    await request(bare.getHttpServer()).get('/metrics').expect(404);
  });
});
