import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NatsConnection } from 'nats';
import { EVENT_STREAM } from '@vc/contracts';
import { connectAs, createTestDatabase, EventPublisher, eventually, freePort, NatsTestClient, natsServerEnv, routeTlsEnv, ServiceProcess, spawnService, TestDatabase } from '@vc/testing';
import { runLedgerChecks, formatReport } from '../../../scripts/ledger/ledger-check';
import { LoadParty, PaymentLoad } from '../../fixtures/payment-load';
import { UpstreamFeed } from '../../fixtures/redemption';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../../..');
const LOAD_SECONDS = Number(process.env.CLUSTER_LOAD_SECONDS ?? 24);
const CLIENTS = 8;
/** server_name of deploy/nats/cluster/node-1..3.conf */
const NODE_NAMES = ['vc-node-1', 'vc-node-2', 'vc-node-3'];

/** The 3-node cluster of deploy/nats/cluster, each node with a fresh store in a temp dir. */
async function startCluster(): Promise<{ urls: string[]; nodes: ChildProcess[]; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vc-cluster-'));
  const nodes: ChildProcess[] = [];
  // as in the repository: the node configs include ../accounts.conf; routes need the cluster's certificates
  mkdirSync(join(dir, 'cluster'));
  copyFileSync(join(ROOT, 'deploy/nats/accounts.conf'), join(dir, 'accounts.conf'));
  const env = { ...natsServerEnv(), ...routeTlsEnv(dir) };
  for (const n of [1, 2, 3]) {
    const conf = readFileSync(join(ROOT, `deploy/nats/cluster/node-${n}.conf`), 'utf8').replace(/store_dir:\s*"[^"]*"/, `store_dir: "${join(dir, `node-${n}`)}"`);
    const file = join(dir, 'cluster', `node-${n}.conf`);
    writeFileSync(file, conf);
    nodes.push(spawn('nats-server', ['-c', file], { stdio: 'ignore', env }));
  }
  const urls = ['nats://127.0.0.1:4231', 'nats://127.0.0.1:4232', 'nats://127.0.0.1:4233'];
  // JetStream needs a meta leader before the stream can be created
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const nc = await connectAs(urls.join(','), 'ops');
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
 * Scale-out on one machine (several instances per service, a NATS cluster): 3 NATS nodes with the
 * event stream replicated 3 times, 3 redemption and 2 settlement instances. Under a steady load of
 * orders created, confirmed and paid through the public interface, the NATS node that leads the
 * event stream and one redemption instance are killed (SIGKILL). Every request is retried with its
 * key until it has a final answer: a payment that never gets one, or any refusal but UNAVAILABLE,
 * fails the test. Every acknowledged payment must be in PostgreSQL exactly once, the ledger must
 * balance, and throughput must recover.
 */
describe('scale-out: NATS cluster, several instances, kill -9 under load', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let db: TestDatabase;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    [cluster, db] = await Promise.all([startCluster(), createTestDatabase()]);
    const env = { DATABASE_URL: db.url, NATS_URL: cluster.urls.join(','), NATS_STREAM_REPLICAS: '3', DB_POOL_SIZE: '6' };
    for (let i = 0; i < 3; i++) services.push(await spawnService('redemption', { ...env, GRPC_PORT: String(await freePort()), GRPC_PLAINTEXT: 'true' }));
    for (let i = 0; i < 2; i++) services.push(await spawnService('settlement', env));
  });

  afterAll(async () => {
    for (const s of services) s.kill('SIGKILL');
    for (const n of cluster?.nodes ?? []) n.kill('SIGKILL');
    await db?.drop().catch(() => undefined);
    if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
  });

  it('R-OFFSET-2 / R-LEDGER-1: every acknowledged payment stored exactly once; refusals only UNAVAILABLE; no payment fails; 0 ledger differences; throughput recovers', async () => {
    const client = await NatsTestClient.connect(cluster.urls.join(','));
    const feed = new UpstreamFeed({ client, db, events: new EventPublisher(cluster.urls.join(',')) });
    const programmeId = await feed.programme('JS', { budgetFen: 10n ** 12n });
    const jsm = await client.nc.jetstreamManager();
    expect((await jsm.streams.info(EVENT_STREAM)).config.num_replicas).toBe(3);
    const provider = await feed.provider({ province: 'SH' });
    const enterprises: LoadParty[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const e = await feed.enterprise('JS');
      await feed.quota(e.id, programmeId, 10_000_000);
      enterprises.push(e);
    }

    // steady load from 8 clients over two connections to the cluster: orders created, confirmed
    // and paid through the public interface, every request retried with its key until it has a
    // final answer
    // the requests arrive as the gateway forwards them
    const conns: NatsConnection[] = [await connectAs(cluster.urls.join(','), 'gateway'), await connectAs([...cluster.urls].reverse().join(','), 'gateway')];
    const load = new PaymentLoad({ nats: conns, natsClients: CLIENTS, provider, enterprises, seconds: LOAD_SECONDS });
    let killedAt = 0;
    let killedLeader = '';
    await load.run(async () => {
      await new Promise((r) => setTimeout(r, (LOAD_SECONDS / 3) * 1000));
      // the node that leads the event stream (where the outboxes' publishes are stored first)
      killedLeader = (await jsm.streams.info(EVENT_STREAM)).cluster?.leader ?? '';
      const node = NODE_NAMES.indexOf(killedLeader);
      expect(node).toBeGreaterThanOrEqual(0);
      killedAt = load.now();
      services[0].kill('SIGKILL'); // one redemption instance
      cluster.nodes[node].kill('SIGKILL'); // the stream's leader
    });
    await Promise.all(conns.map((c) => c.close()));
    // another node leads the stream now
    const leaderAfter = await eventually(async () => (await jsm.streams.info(EVENT_STREAM)).cluster?.leader, 30000);
    expect(leaderAfter).not.toBe(killedLeader);

    const third = (LOAD_SECONDS * 1000) / 3;
    const before = load.rate(1000, third);
    const after = load.rate(load.endMs - third, load.endMs);
    const refused = load.refusals(killedAt);
    const check = await load.verify(db.url);
    const report = await runLedgerChecks(db.url);
    console.log(
      `scale-out: ${load.attempts.length} requests, results ${JSON.stringify(load.results())}; payments acknowledged ${check.acknowledged}, stored ${check.stored}; ` +
        `killed the stream leader ${killedLeader} (now ${leaderAfter}) and a redemption instance at ${(killedAt / 1000).toFixed(1)} s: ` +
        `${refused.count} refused or unanswered attempts over ${refused.seconds.toFixed(1)} s, no request succeeded for ${load.longestGap(killedAt, load.endMs).toFixed(1)} s; ` +
        `payments/s ${before.toFixed(0)} before the kills, ${after.toFixed(0)} at the end\n${formatReport(report)}`,
    );
    // a payment (or its order) that failed every retry, or was refused for another reason, fails the test
    expect(load.failed).toEqual([]);
    expect(Object.keys(load.results()).filter((r) => !['ok', 'UNAVAILABLE', 'no answer'].includes(r))).toEqual([]);
    expect(check).toMatchObject({ missing: [], wrongVoucher: [], twice: [], unacknowledged: [] });
    expect(check.stored).toBe(check.acknowledged);
    expect(report.filter((r) => r.status === 'differs')).toEqual([]);
    expect(after).toBeGreaterThan(before * 0.3);
    await client.close();
  });
});
