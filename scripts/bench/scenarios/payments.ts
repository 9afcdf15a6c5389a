import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { Subjects } from '@vc/contracts';
import { connectAs, eventually, EventPublisher, freePort, NatsTestClient, sql, tokenFor } from '@vc/testing';
import { UpstreamFeed } from '../../../tests/fixtures/redemption';
import { cpuMillis, natsLoad, LoadResult } from '../load';
import { EventVerifierLoad, signingFigure } from '../signing';
import { BenchContext, Scenario } from '../scenarios';

const ENTERPRISES = Number(process.env.BENCH_ENTERPRISES ?? 200);
/** Channels the provider system spreads its gRPC payments over. */
const GRPC_CHANNELS = Number(process.env.BENCH_GRPC_CHANNELS ?? 1);

/**
 * A programme, a provider and enterprises with quota, fed to redemption through the event stream
 * exactly as issuance and the registry would; then confirmed orders in bulk, ready to be paid.
 */
export async function seedPayments(ctx: BenchContext, ordersWanted: number) {
  const client = await NatsTestClient.connect(ctx.nats.url);
  const feed = new UpstreamFeed({ client, db: ctx.db, events: new EventPublisher(ctx.nats.url) });
  const programmeId = await feed.programme('JS', { budgetFen: 10n ** 12n });
  const provider = await feed.provider({ province: 'SH' });
  const seedStart = Date.now();
  // 25 enterprises at a time: each waits for its events to be applied, which alone took a minute
  const enterprises: Awaited<ReturnType<typeof feed.enterprise>>[] = [];
  for (let i = 0; i < ENTERPRISES; i += 25) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(25, ENTERPRISES - i) }, async () => {
        const e = await feed.enterprise('JS');
        await feed.quota(e.id, programmeId, 10_000_000);
        return e;
      }),
    );
    enterprises.push(...batch);
  }
  const perEnterprise = Math.ceil(ordersWanted / ENTERPRISES);
  await sql(
    ctx.db.url,
    `INSERT INTO redemption.orders (programme_id, programme_year, programme_version, offset_rate_bp, mode, enterprise_id, enterprise_credit_code,
       provider_id, provider_credit_code, amount_fen, status, description, created_by, provider_confirmed_at, enterprise_confirmed_at, confirmed_at, created_at)
     SELECT $1, 2026, 1, 2500, 'provider_redeems', e.id, e.credit_code, $2, $3, 100000, 'confirmed', 'bench', 'bench', now(), now(), now(), now()
       FROM redemption.enterprises e CROSS JOIN generate_series(1, $4) WHERE e.id = ANY($5::uuid[])`,
    [programmeId, provider.id, provider.creditCode, perEnterprise, enterprises.map((e) => e.id)],
  );
  const orders: Array<{ id: string; enterprise_id: string }> = await sql(
    ctx.db.url,
    `SELECT id, enterprise_id FROM redemption.orders WHERE status = 'confirmed' AND enterprise_id = ANY($1::uuid[]) ORDER BY random()`,
    [enterprises.map((e) => e.id)],
  );
  const tokens = new Map(enterprises.map((e) => [e.id, tokenFor(e.principal)]));
  await client.close();
  console.log(`  seeded ${ENTERPRISES} enterprises and ${orders.length} orders in ${((Date.now() - seedStart) / 1000).toFixed(1)} s (not timed)`);
  return { orders, tokens, programmeId, providerToken: tokenFor(provider.principal) };
}

/** Voucher payment end to end over NATS: idempotency key, quota + budget taken, ledger, outbox, reply. */
export const paymentsOverNats: Scenario = {
  name: 'voucher payment over NATS',
  async run(ctx: BenchContext): Promise<LoadResult[]> {
    const service = await ctx.spawn('redemption', 'redemption', { GRPC_PORT: String(await freePort()), GRPC_PLAINTEXT: 'true', DB_POOL_SIZE: process.env.BENCH_DB_POOL ?? '16', ...(process.env.BENCH_OUTBOX_HOLD ? { FAULT_INJECTION: 'outbox-hold' } : {}) });
    const { orders, tokens } = await seedPayments(ctx, Math.max(20_000, ctx.seconds * 6000));
    let next = 0;
    const cpu = await cpuMeter(service.pid);
    const result = await withSignatures(ctx, 'redemption', () =>
      natsLoad(() => connectAs(ctx.nats.url, 'gateway', 'bench-gateway'), 'voucher payment over NATS (end to end)', { concurrency: ctx.concurrency, seconds: ctx.seconds, maxRequests: orders.length }, () => {
        const order = orders[next++];
        return {
          subject: Subjects.redemption.orderPay,
          body: { orderId: order.id },
          headers: { Authorization: `Bearer ${tokens.get(order.enterprise_id)}`, 'Idempotency-Key': randomUUID() },
        };
      }),
    );
    const cpuMsPerRequest = await cpu.perRequest(result.ok + result.failed);
    const [paid] = await sql(ctx.db.url, `SELECT count(*)::int AS n FROM redemption.orders WHERE status = 'paid' AND id = ANY($1::uuid[])`, [orders.map((o) => o.id)]);
    if (paid.n !== result.ok) throw new Error(`${result.ok} payments acknowledged but ${paid.n} stored`);
    return [{ ...result, key: 'pay-nats', cpuMsPerRequest }];
  },
};

/**
 * Runs a payment load with every event it makes verified by a consumer on the same machine while
 * it runs (signing is the service's own relay), then adds the signing figure to the result.
 */
async function withSignatures(ctx: BenchContext, schema: string, load: () => Promise<LoadResult>): Promise<LoadResult> {
  const verifier = await EventVerifierLoad.start(ctx.nats.url);
  const from = new Date();
  const result = await load();
  const to = new Date();
  // the events of the last payments are still being relayed and verified: let them be, untimed
  if (!process.env.BENCH_OUTBOX_HOLD) await eventually(async () => (await sql(ctx.db.url, `SELECT count(*)::int AS n FROM ${schema}.outbox WHERE published_at IS NULL`))[0].n === 0, 60000, 100).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
  await verifier.stop();
  const signing = await signingFigure(ctx.db.url, schema, { from, to, payments: result.ok, throughput: result.throughput }, verifier, cpus().length);
  if (signing.refused > 0) throw new Error(`${signing.refused} events of the payments did not verify`);
  return { ...result, signing };
}

/**
 * CPU time per request of the service and of the bench's client side (this process: the load's
 * NATS or gRPC client, and the verifying consumer) over a scenario's window.
 */
async function cpuMeter(pid: number) {
  const service0 = await cpuMillis(pid);
  const client0 = process.cpuUsage();
  return {
    async perRequest(requests: number): Promise<Record<string, number>> {
      const client = process.cpuUsage(client0);
      const n = Math.max(1, requests);
      return { redemption: ((await cpuMillis(pid)) - service0) / n, 'bench client': (client.user + client.system) / 1000 / n };
    },
  };
}

/** Closed-loop load over any async call, latency in milliseconds. */
async function closedLoop(name: string, ctx: BenchContext, count: number, call: (i: number) => Promise<boolean>): Promise<LoadResult> {
  const { summarise } = await import('../load');
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const deadline = Date.now() + ctx.seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: ctx.concurrency }, async () => {
      while (Date.now() < deadline && next < count) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        const ok = await call(i).catch(() => false);
        if (ok) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        else failed++;
      }
    }),
  );
  return summarise(name, latencies, failed, Number(process.hrtime.bigint() - started) / 1e9);
}

/** The same payment through the gRPC interface provider systems use (insecure channel on loopback). */
export const paymentsOverGrpc: Scenario = {
  name: 'voucher payment over gRPC',
  async run(ctx: BenchContext): Promise<LoadResult[]> {
    const { VoucherRedemptionGrpcClient } = await import('../../examples/provider-client/grpc-client');
    const port = await freePort();
    const service = await ctx.spawn('redemption-grpc', 'redemption', { GRPC_PORT: String(port), GRPC_PLAINTEXT: 'true', DB_POOL_SIZE: process.env.BENCH_DB_POOL ?? '16' });
    const { orders, providerToken } = await seedPayments(ctx, Math.max(20_000, ctx.seconds * 5000));
    // The provider system pays its customers' vouchers, as gRPC's users do: one channel, its own token.
    const clients = Array.from({ length: GRPC_CHANNELS }, () => new VoucherRedemptionGrpcClient({ address: `127.0.0.1:${port}`, token: providerToken }));
    const cpu = await cpuMeter(service.pid);
    const result = await withSignatures(ctx, 'redemption', () =>
      closedLoop('voucher payment over gRPC (end to end)', ctx, orders.length, async (i) => {
        const paid = await clients[i % GRPC_CHANNELS].payOrder(orders[i].id, randomUUID());
        return paid.status === 'paid';
      }),
    );
    const cpuMsPerRequest = await cpu.perRequest(result.ok + result.failed);
    for (const c of clients) c.close();
    return [{ ...result, key: 'pay-grpc', cpuMsPerRequest }];
  },
};

/**
 * An enterprise reading its own orders through the HTTP gateway (autocannon).
 *
 * BENCH_AB_ROOT=<another checkout, built>: an A/B of two builds in one run. The gateway and
 * redemption of that build (A) and of this one (B) serve the same data in turn, A B A B…
 * (BENCH_AB_ROUNDS rounds, 2), each pair alone on the bus; the rows give each build's mean.
 */
export const enterpriseHttpRead: Scenario = {
  name: 'enterprise HTTP read (own orders)',
  async run(ctx: BenchContext): Promise<LoadResult[]> {
    const autocannon = (await import('autocannon')).default;
    const abRoot = process.env.BENCH_AB_ROOT;
    const rounds = abRoot ? Number(process.env.BENCH_AB_ROUNDS ?? 2) : 1;
    const builds: Array<{ label: string; root?: string }> = abRoot ? [{ label: 'A: base', root: abRoot }, { label: 'B: this build' }] : [{ label: '' }];
    let tokens: Map<string, string> | undefined;
    const runs = new Map<string, LoadResult[]>();
    for (let round = 0; round < rounds; round++) {
      for (const build of builds) {
        const suffix = build.label ? ` (${build.label})` : '';
        const redemption = await ctx.spawn(`redemption-http${suffix}`, 'redemption', { GRPC_PORT: String(await freePort()), GRPC_PLAINTEXT: 'true' }, build.root);
        if (!tokens) tokens = (await seedPayments(ctx, 2000)).tokens;
        const port = await freePort();
        const gateway = await ctx.spawn(`gateway${suffix}`, 'gateway', { HTTP_PORT: String(port), RATE_LIMIT_PER_MINUTE: '100000000' }, build.root);
        const token = [...tokens.values()][0];
        const cpu0 = [await cpuMillis(gateway.pid), await cpuMillis(redemption.pid)];
        const r = await autocannon({
          url: `http://127.0.0.1:${port}/v1/orders?limit=20`,
          headers: { authorization: `Bearer ${token}` },
          connections: ctx.concurrency,
          duration: ctx.seconds,
        });
        const cpu1 = [await cpuMillis(gateway.pid), await cpuMillis(redemption.pid)];
        const served = Math.max(1, r.requests.total);
        const result: LoadResult = {
          name: `enterprise HTTP read: GET /v1/orders (own, 20)${suffix}`,
          cpuMsPerRequest: { gateway: (cpu1[0] - cpu0[0]) / served, redemption: (cpu1[1] - cpu0[1]) / served },
          key: build.label.startsWith('A') ? undefined : 'read-http',
          ok: r.requests.total - r.non2xx - r.errors,
          failed: r.non2xx + r.errors,
          seconds: ctx.seconds,
          throughput: (r.requests.total - r.non2xx - r.errors) / ctx.seconds,
          p50: r.latency.p50,
          p99: r.latency.p99,
        };
        const cpu = result.cpuMsPerRequest!;
        console.log(`  ${abRoot ? `round ${round + 1} ${build.label}: ` : ''}${result.throughput.toFixed(0)}/s, p99 ${result.p99} ms; CPU per request: gateway ${cpu.gateway.toFixed(2)} ms, redemption ${cpu.redemption.toFixed(2)} ms`);
        runs.set(build.label, [...(runs.get(build.label) ?? []), result]);
        if (round < rounds - 1 || abRoot) {
          // the next pair answers alone on the bus
          gateway.kill('SIGTERM');
          redemption.kill('SIGTERM');
          await Promise.all([gateway.exited, redemption.exited]);
        }
      }
    }
    return [...runs.values()].map((list) => ({
      ...list[0],
      ok: list.reduce((a, r) => a + r.ok, 0),
      failed: list.reduce((a, r) => a + r.failed, 0),
      seconds: list.reduce((a, r) => a + r.seconds, 0),
      throughput: list.reduce((a, r) => a + r.throughput, 0) / list.length,
      p50: list.reduce((a, r) => a + r.p50, 0) / list.length,
      p99: list.reduce((a, r) => a + r.p99, 0) / list.length,
      cpuMsPerRequest: Object.fromEntries(Object.keys(list[0].cpuMsPerRequest!).map((k) => [k, list.reduce((a, r) => a + r.cpuMsPerRequest![k], 0) / list.length])),
    }));
  },
};
