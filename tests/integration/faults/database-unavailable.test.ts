import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Subjects } from '@vc/contracts';
import { commonTablesUp, createServiceDataSource } from '@vc/database';
import { OutboxRelay } from '@vc/messaging';
import { eventually, freePort, sql, TestPostgres, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { registryService } from '../../../apps/registry/src/registry.module';
import { RedemptionError, VoucherRedemptionGrpcClient } from '../../../scripts/examples/provider-client/grpc-client';
import { confirmedOrder, ikey, ledgerDifferences, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';
import { deltaOperator } from '../../fixtures/principals';

jest.setTimeout(120_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What the services do while their PostgreSQL server is down or stalled (a server of this suite's
 * own, crashed with kill -9 and started again): the outbox relay backs off instead of spinning,
 * every request is refused UNAVAILABLE (retryable) over NATS, HTTP and gRPC rather than INTERNAL,
 * a connect to a server that does not answer gives up, and the services serve again once the
 * server is back, without a restart. Also: the gateway's liveness does not depend on NATS.
 */
describe('faults: PostgreSQL down or stalled (a server of the suite\'s own; real NATS)', () => {
  let pg: TestPostgres;
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let grpc: VoucherRedemptionGrpcClient;
  let feed: UpstreamFeed;
  let provider: TestProvider;
  let ent: TestEnterprise;
  let programmeId: string;

  beforeAll(async () => {
    pg = await TestPostgres.start();
    sys = await TestSystem.start({ pgAdminUrl: pg.url() });
    await sys.startService(registryService);
    const grpcPort = await freePort();
    sys.apps.push(await bootstrapRedemption(sys.config({ GRPC_PORT: grpcPort, GRPC_PLAINTEXT: 'true', DB_CONNECT_TIMEOUT_MS: 1000 })));
    gateway = await bootstrapGateway(sys.config(), false);
    feed = new UpstreamFeed(sys);
    programmeId = await feed.programme('JS', { budgetFen: 1_000_000_000 });
    provider = await feed.provider();
    ent = await feed.enterprise('JS');
    await feed.quota(ent.id, programmeId, 10_000_000);
    grpc = new VoucherRedemptionGrpcClient({ address: `127.0.0.1:${grpcPort}`, token: tokenFor(provider.principal) });
  });
  // each test leaves the server running, whatever it did to it
  afterEach(async () => {
    if (pg.pid() !== null) pg.signal('SIGCONT');
    else await pg.start();
  });
  afterAll(async () => {
    grpc?.close();
    await gateway?.close();
    if (pg && pg.pid() === null) await pg.start().catch(() => undefined);
    await sys?.stop().catch(() => undefined);
    await pg?.dispose();
  });

  /** Log lines of one logger context, by level. */
  function captureLogs(context: string) {
    const lines: Array<{ level: string; message: string }> = [];
    const spies = (['log', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, message: unknown, ..._rest: unknown[]) {
        if ((this as unknown as { context?: string }).context === context) lines.push({ level, message: String(message) });
      }),
    );
    return { lines, restore: () => spies.forEach((s) => s.mockRestore()) };
  }

  it('the outbox relay backs off while PostgreSQL is down (no spin however often it is nudged), logs the pause once, and resumes once it is back', async () => {
    const schema = 'relay_probe';
    const ds: DataSource = createServiceDataSource({ url: sys.db.url, schema, migrations: [], poolSize: 2, applicationName: 'relay-probe', connectTimeoutMs: 1000 });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${schema}`);
    for (const statement of commonTablesUp(schema)) await ds.query(statement);
    // relays as redemption would: its NATS user, its signing key, an event type it owns
    const relay = new OutboxRelay(ds, await sys.events.connection('redemption'), { schema, signer: sys.events.signer('redemption'), pollMs: 20 });
    const logs = captureLogs(`OutboxRelay:${schema}`);
    const addEvent = async () => {
      const id = randomUUID();
      await sql(sys.db.url, `INSERT INTO ${schema}.outbox (event_id, subject, aggregate_type, aggregate_id, envelope) VALUES ($1, 'voucher.events.order.created', 'order', $2, $3)`, [
        id,
        id,
        JSON.stringify({ id, type: 'voucher.events.order.created', aggregateType: 'order', aggregateId: id, occurredAt: new Date().toISOString(), payload: {} }),
      ]);
      relay.nudge();
      return id;
    };
    const published = (id: string) => eventually(async () => (await sql(sys.db.url, `SELECT published_at FROM ${schema}.outbox WHERE event_id = $1`, [id]))[0]?.published_at, 20000);
    try {
      relay.start();
      await published(await addEvent());

      const tries = jest.spyOn(ds, 'createQueryRunner');
      pg.signal('SIGKILL');
      // as the payment batcher does after every failed batch: nudge, again and again
      const nudging = setInterval(() => relay.nudge(), 2);
      await sleep(3000);
      clearInterval(nudging);
      const triedWhileDown = tries.mock.calls.length;
      tries.mockRestore();
      // back-off from 100 ms doubling to 3 s, jittered: a handful of tries in 3 s, not thousands
      expect(triedWhileDown).toBeGreaterThanOrEqual(2);
      expect(triedWhileDown).toBeLessThanOrEqual(10);
      expect(logs.lines.filter((l) => l.message.startsWith('relay paused'))).toHaveLength(1);
      expect(relay.paused).toBe(true);

      await pg.start();
      const afterwards = await addEvent();
      await published(afterwards);
      expect(relay.paused).toBe(false);
      expect(logs.lines.filter((l) => l.message.startsWith('relay resumed'))).toHaveLength(1);
      expect(logs.lines.filter((l) => l.message.startsWith('relay paused'))).toHaveLength(1);
    } finally {
      logs.restore();
      await relay.stop();
      await ds.destroy();
    }
  });

  it('R-ERR-1: while PostgreSQL is down every request is refused UNAVAILABLE (HTTP 503, gRPC UNAVAILABLE, NATS), never INTERNAL; once it is back the same requests succeed without a restart', async () => {
    const order = await confirmedOrder(sys.client, provider, ent, 400_000);
    const payKey = ikey('pay-down');
    const http = request(gateway.getHttpServer());
    const bearer = `Bearer ${tokenFor(ent.principal)}`;
    const codes: Record<string, Record<string, number>> = { nats: {}, http: {}, grpc: {} };
    const count = (via: string, code: string) => (codes[via][code] = (codes[via][code] ?? 0) + 1);

    pg.signal('SIGKILL');
    // the first seconds of an outage see connections terminated, then connects refused
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      await Promise.all([
        sys.client.call(Subjects.redemption.orderPay, { orderId: order.id }, { principal: ent.principal, idempotencyKey: payKey }).then((r) => count('nats', r.ok ? 'ok' : r.error.code)),
        sys.client.call(Subjects.registry.providerList, { province: 'ZJ' }, { principal: deltaOperator }).then((r) => count('nats', r.ok ? 'ok' : r.error.code)),
        http
          .post(`/v1/orders/${order.id}/pay`)
          .set('Authorization', bearer)
          .set('Idempotency-Key', payKey)
          .send({})
          .then((r) => count('http', `${r.status} ${r.body.code}`)),
        grpc.getOrder(order.id).then(
          () => count('grpc', 'ok'),
          (err: RedemptionError) => count('grpc', `${err.grpcStatus} ${err.code}${err.message.includes('database is unavailable') ? '' : ` (${err.message})`}`),
        ),
      ]);
      await sleep(100);
    }
    expect(Object.keys(codes.nats)).toEqual(['UNAVAILABLE']);
    expect(Object.keys(codes.http)).toEqual(['503 UNAVAILABLE']);
    expect(Object.keys(codes.grpc)).toEqual(['14 UNAVAILABLE']);

    await pg.start();
    // the same payment, retried with its key, goes through once the pools have new connections
    const paid = await eventually(async () => {
      const r = await sys.client.call(Subjects.redemption.orderPay, { orderId: order.id }, { principal: ent.principal, idempotencyKey: payKey });
      return r.ok ? r.data : null;
    }, 30000);
    expect(paid).toMatchObject({ status: 'paid' });
    const again = await http.post(`/v1/orders/${order.id}/pay`).set('Authorization', bearer).set('Idempotency-Key', payKey).send({});
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: order.id, status: 'paid', voucherFen: paid.voucherFen });
    expect(await grpc.getOrder(order.id)).toMatchObject({ status: 'paid' });
    expect((await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.ledger_entries WHERE order_id = $1 AND entry_type = 'quota_taken'`, [order.id]))[0].n).toBe(1);
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('a connect to a PostgreSQL that does not answer (stalled: SIGSTOP) gives up after the connect timeout instead of waiting for ever', async () => {
    const ds = createServiceDataSource({ url: sys.db.url, schema: 'public', migrations: [], poolSize: 1, applicationName: 'stall-probe', connectTimeoutMs: 1000 });
    pg.signal('SIGSTOP');
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        ds.initialize().then(
          () => 'connected',
          (err: Error) => `refused: ${err.message}`,
        ),
        new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting after 15 s'), 15000))),
      ]);
      expect(outcome).toMatch(/^refused: .*timeout/);
    } finally {
      clearTimeout(timer);
      pg.signal('SIGCONT');
      if (ds.isInitialized) await ds.destroy();
    }
  });

  it('the gateway\'s liveness does not depend on NATS; its readiness does', async () => {
    const http = request(gateway.getHttpServer());
    await http.get('/health/live').expect(200);
    await http.get('/health/ready').expect(200);
    await sys.nats.stop();
    try {
      const live = await http.get('/health/live');
      expect(live.status).toBe(200);
      const ready = await http.get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ code: 'UNAVAILABLE', details: { error: { nats: { status: 'down' } } } });
    } finally {
      await sys.nats.start();
    }
    await eventually(async () => (await http.get('/health/ready')).status === 200, 20000);
  });
});
