import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, headers as natsHeaders, NatsConnection } from 'nats';
import { Subjects } from '@vc/contracts';
import { createTestDatabase, freePort, NatsTestClient, ServiceProcess, spawnService, sql, TestDatabase, tokenFor } from '@vc/testing';
import { runLedgerChecks, formatReport } from '../../../scripts/ledger/ledger-check';
import { UpstreamFeed } from '../../fixtures/redemption';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../../..');
const LOAD_SECONDS = Number(process.env.CLUSTER_LOAD_SECONDS ?? 24);

/** The 3-node cluster of deploy/nats/cluster, each node with a fresh store in a temp dir. */
async function startCluster(): Promise<{ urls: string[]; nodes: ChildProcess[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vc-cluster-'));
  const nodes: ChildProcess[] = [];
  for (const n of [1, 2, 3]) {
    const conf = readFileSync(join(ROOT, `deploy/nats/cluster/node-${n}.conf`), 'utf8').replace(/store_dir:\s*"[^"]*"/, `store_dir: "${join(dir, `node-${n}`)}"`);
    const file = join(dir, `node-${n}.conf`);
    writeFileSync(file, conf);
    nodes.push(spawn('nats-server', ['-c', file], { stdio: 'ignore' }));
  }
  const urls = ['nats://127.0.0.1:4231', 'nats://127.0.0.1:4232', 'nats://127.0.0.1:4233'];
  // JetStream needs a meta leader before the stream can be created
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const nc = await connect({ servers: urls });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.list().next();
      await nc.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return { urls, nodes, dir };
}

/**
 * Scale-out on one machine (issue: several instances per service, a NATS cluster): 3 NATS nodes with
 * the event stream replicated 3 times, 3 redemption and 2 settlement instances. Under a steady
 * payment load one NATS node and one redemption instance are killed (SIGKILL); every acknowledged
 * payment must be in PostgreSQL exactly once, the ledger must balance, and throughput must recover.
 */
describe('scale-out: NATS cluster, several instances, kill -9 under load', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let db: TestDatabase;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    [cluster, db] = await Promise.all([startCluster(), createTestDatabase()]);
    const env = { DATABASE_URL: db.url, NATS_URL: cluster.urls.join(','), NATS_STREAM_REPLICAS: '3', DB_POOL_SIZE: '6' };
    for (let i = 0; i < 3; i++) services.push(await spawnService('redemption', { ...env, GRPC_PORT: String(await freePort()) }));
    for (let i = 0; i < 2; i++) services.push(await spawnService('settlement', env));
  });

  afterAll(async () => {
    for (const s of services) s.kill('SIGKILL');
    for (const n of cluster?.nodes ?? []) n.kill('SIGKILL');
    await db?.drop().catch(() => undefined);
    if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
  });

  it('R-OFFSET-2 / R-LEDGER-1: every acknowledged payment stored exactly once; 0 ledger differences; throughput recovers', async () => {
    const client = await NatsTestClient.connect(cluster.urls.join(','));
    const feed = new UpstreamFeed(client, db.url);
    const programmeId = await feed.programme('JS', { budgetFen: 10n ** 12n });
    const jsm = await client.nc.jetstreamManager();
    expect((await jsm.streams.info('VOUCHER_EVENTS')).config.num_replicas).toBe(3);
    const provider = await feed.provider({ province: 'SH' });
    const enterprises = [];
    for (let i = 0; i < 40; i++) {
      const e = await feed.enterprise('JS');
      await feed.quota(e.id, programmeId, 10_000_000);
      enterprises.push(e);
    }
    await sql(
      db.url,
      `INSERT INTO redemption.orders (programme_id, programme_year, programme_version, offset_rate_bp, mode, enterprise_id, enterprise_credit_code,
         provider_id, provider_credit_code, amount_fen, status, description, created_by, provider_confirmed_at, enterprise_confirmed_at, confirmed_at, created_at)
       SELECT $1, 2026, 1, 2500, 'provider_redeems', e.id, e.credit_code, $2, $3, 100000, 'confirmed', 'load', 'load', now(), now(), now(), now()
         FROM redemption.enterprises e CROSS JOIN generate_series(1, 380)`,
      [programmeId, provider.id, provider.creditCode],
    );
    const orders: Array<{ id: string; enterprise_id: string }> = await sql(db.url, `SELECT id, enterprise_id FROM redemption.orders ORDER BY random()`);
    const tokens = new Map(enterprises.map((e) => [e.id, tokenFor(e.principal)]));

    // steady load from 8 workers over two connections to the cluster
    const conns: NatsConnection[] = [await connect({ servers: cluster.urls }), await connect({ servers: [...cluster.urls].reverse() })];
    const acknowledged = new Set<string>();
    const perSecond = new Map<number, number>();
    let sent = 0;
    let errors = 0;
    let next = 0;
    const start = Date.now();
    const deadline = start + LOAD_SECONDS * 1000;
    const worker = async (w: number) => {
      while (Date.now() < deadline && next < orders.length) {
        const order = orders[next++];
        const h = natsHeaders();
        h.set('Authorization', `Bearer ${tokens.get(order.enterprise_id)}`);
        const key = randomUUID();
        h.set('Idempotency-Key', key);
        sent++;
        // a payment whose reply is lost is retried with the same key until it answers
        for (let attempt = 0; attempt < 20 && Date.now() < deadline + 20000; attempt++) {
          try {
            const msg = await conns[w % 2].request(Subjects.redemption.orderPay, new TextEncoder().encode(JSON.stringify({ orderId: order.id })), { timeout: 3000, headers: h });
            const reply = JSON.parse(new TextDecoder().decode(msg.data));
            if (reply.ok) {
              acknowledged.add(order.id);
              const second = Math.floor((Date.now() - start) / 1000);
              perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
            } else errors++;
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      }
    };
    const killer = (async () => {
      await new Promise((r) => setTimeout(r, (LOAD_SECONDS / 3) * 1000));
      services[0].kill('SIGKILL'); // one redemption instance
      cluster.nodes[1].kill('SIGKILL'); // one NATS node
    })();
    await Promise.all([...Array.from({ length: 8 }, (_, w) => worker(w)), killer]);
    await Promise.all(conns.map((c) => c.close()));

    const [{ paid, taken }] = await sql(
      db.url,
      `SELECT (SELECT count(*)::int FROM redemption.orders WHERE status = 'paid') AS paid,
              (SELECT count(*)::int FROM redemption.ledger_entries WHERE entry_type = 'quota_taken') AS taken`,
    );
    const [{ dup }] = await sql(db.url, `SELECT count(*)::int AS dup FROM (SELECT order_id FROM redemption.ledger_entries WHERE entry_type = 'quota_taken' GROUP BY order_id HAVING count(*) > 1) d`);
    const storedAcks = await sql(db.url, `SELECT count(*)::int AS n FROM redemption.orders WHERE status = 'paid' AND id = ANY($1::uuid[])`, [[...acknowledged]]);
    const third = Math.floor(LOAD_SECONDS / 3);
    const rate = (from: number, to: number) => {
      let n = 0;
      for (let s = from; s < to; s++) n += perSecond.get(s) ?? 0;
      return n / Math.max(1, to - from);
    };
    const before = rate(1, third);
    const after = rate(LOAD_SECONDS - third, LOAD_SECONDS);
    const report = await runLedgerChecks(db.url);
    console.log(
      `scale-out: payments sent ${sent}, acknowledged ${acknowledged.size}, stored ${paid} (ledger quota_taken ${taken}, duplicates ${dup}), refused ${errors}; ` +
        `throughput ${before.toFixed(0)}/s before the kills, ${after.toFixed(0)}/s at the end\n${formatReport(report)}`,
    );
    expect(storedAcks[0].n).toBe(acknowledged.size);
    expect(dup).toBe(0);
    expect(taken).toBe(paid);
    expect(report.filter((r) => r.status === 'differs')).toEqual([]);
    expect(after).toBeGreaterThan(before * 0.3);
    await client.close();
  });
});
