import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { eventually, freePort, ServiceProcess, spawnService, TestSystem, tokenFor } from '@vc/testing';
import { UpstreamFeed } from '../../fixtures/redemption';
import { VoucherRedemptionGrpcClient } from '../../../scripts/examples/provider-client/grpc-client';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/**
 * A local OTLP/HTTP receiver (JSON encoding, POST /v1/traces), as a collector would be: it keeps
 * every span the services export, with the exporting service's name.
 */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => resolve(body));
    });
  const value = (v: Record<string, unknown>) => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    if (req.method === 'POST' && req.url === '/v1/traces') {
      for (const rs of JSON.parse(body).resourceSpans ?? []) {
        const service = String(value(rs.resource.attributes.find((a: { key: string }) => a.key === 'service.name').value));
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              attributes: Object.fromEntries((s.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, value(a.value)])),
            });
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * Traces across the services (issue 31): with an OTLP endpoint configured, one enterprise request
 * through the HTTP gateway is one trace — the gateway's HTTP span, its NATS request, redemption's
 * handling of it (the W3C trace context carried in the NATS headers) and redemption's PostgreSQL
 * queries — exported by each process to a real OTLP receiver; a provider's gRPC call is traced
 * down to its queries the same way. Real processes, real NATS and PostgreSQL.
 */
describe('OpenTelemetry traces across gateway → NATS → service → PostgreSQL, and gRPC', () => {
  let sys: TestSystem;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  const services: ServiceProcess[] = [];
  let httpPort: number;
  let grpcPort: number;
  let feed: UpstreamFeed;

  beforeAll(async () => {
    sys = await TestSystem.start();
    receiver = await startOtlpReceiver();
    const env = {
      DATABASE_URL: sys.db.url,
      NATS_URL: sys.nats.url,
      DB_POOL_SIZE: '4',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    grpcPort = await freePort();
    httpPort = await freePort();
    services.push(await spawnService('redemption', { ...env, GRPC_PORT: String(grpcPort), GRPC_PLAINTEXT: 'true' }));
    services.push(await spawnService('gateway', { ...env, HTTP_PORT: String(httpPort) }));
    feed = new UpstreamFeed(sys);
  });

  afterAll(async () => {
    for (const s of services) s.kill('SIGTERM');
    await Promise.all(services.map((s) => s.exited));
    await receiver?.close();
    await sys?.stop();
  });

  it("one HTTP request is one trace: the caller's trace context reaches redemption's queries through NATS", async () => {
    const enterprise = await feed.enterprise('JS');
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/orders?limit=20`, {
      headers: { authorization: `Bearer ${tokenFor(enterprise.principal)}`, traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(res.status).toBe(200);

    // eventually() returns only a truthy value
    const trace = (await eventually(async () => {
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      const process = spans.find((s) => s.service === 'redemption' && s.name === 'process redemption.order.list');
      const query = process && spans.find((s) => s.service === 'redemption' && isQuery(s) && descends(spans, s, process));
      // each process exports its own spans in its own batches: wait for the gateway's too
      const gateway = spans.filter((s) => s.service === 'gateway').length >= 2;
      return query && gateway ? spans : undefined;
    }, 20000))!;

    const httpServer = trace.find((s) => s.service === 'gateway' && s.parentSpanId === callerSpan);
    expect(httpServer).toBeDefined(); // the gateway continued the caller's trace
    const send = trace.find((s) => s.service === 'gateway' && s.name === 'send redemption.order.list');
    expect(send).toBeDefined();
    expect(descends(trace, send!, httpServer!)).toBe(true);
    const handled = trace.find((s) => s.service === 'redemption' && s.name === 'process redemption.order.list')!;
    expect(handled.parentSpanId).toBe(send!.spanId); // across NATS, by the headers
    const queries = trace.filter((s) => s.service === 'redemption' && isQuery(s));
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) expect(descends(trace, q, handled)).toBe(true);
  });

  it('without an OTLP endpoint nothing of OpenTelemetry is loaded', async () => {
    const { execFileSync } = await import('node:child_process');
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    const probe = (extra: NodeJS.ProcessEnv) =>
      execFileSync(
        process.execPath,
        ['-r', '@swc-node/register', '-e', `require('./apps/redemption/src/tracing'); console.log(Object.keys(require.cache).filter((k) => k.includes('@opentelemetry')).length)`],
        { env: { ...env, ...extra }, encoding: 'utf8' },
      ).trim();
    expect(probe({})).toBe('0');
    expect(Number(probe({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }))).toBeGreaterThan(0); // the probe can tell
  });

  it('a provider system’s gRPC call is traced down to the queries it makes', async () => {
    const provider = await feed.provider({ province: 'SH' });
    const client = new VoucherRedemptionGrpcClient({ address: `127.0.0.1:${grpcPort}`, token: tokenFor(provider.principal) });
    const before = new Set(receiver.spans.map((s) => s.spanId));
    await client.getOrder('00000000-0000-4000-8000-000000000000').catch(() => undefined); // not found, after a query
    client.close();
    const found = (await eventually(async () => {
      const fresh = receiver.spans.filter((s) => !before.has(s.spanId) && s.service === 'redemption');
      const rpc = fresh.find((s) => s.attributes['rpc.system'] === 'grpc' && String(s.name).includes('GetOrder'));
      const query = rpc && fresh.find((s) => s.traceId === rpc.traceId && isQuery(s) && descends(fresh, s, rpc));
      return query ? { rpc, query } : undefined;
    }, 20000))!;
    expect(found.query.traceId).toBe(found.rpc.traceId);
  });
});

/** A PostgreSQL query's span (the database semantic conventions' system name). */
function isQuery(span: ReceivedSpan): boolean {
  return span.attributes['db.system.name'] === 'postgresql';
}

/** Whether `span` lies under `ancestor` in the trace (following parent span ids). */
function descends(spans: ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let s: ReceivedSpan | undefined = span; s; s = byId.get(s.parentSpanId)) if (s.parentSpanId === ancestor.spanId) return true;
  return false;
}
