import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection, StorageType } from 'nats';
import { EVENT_STREAM, EVENT_SUBJECT_PREFIX } from '@vc/contracts';
import { connectAs, eventually, freePorts, natsServerEnv, routeTlsEnv } from '@vc/testing';

// the integration project's testTimeout is not applied per project by jest 30: set it here
jest.setTimeout(60_000);

/**
 * deploy/nats/cluster/node-{1,2,3}.conf started as shipped (`nats-server -c`), moved to free
 * loopback ports and a temporary store so that the suite never collides with a running cluster;
 * clients authenticate as the system's users, routes with the cluster's certificates.
 */
const CLUSTER_DIR = join(__dirname, '../../../deploy/nats/cluster');
const NODES = [1, 2, 3] as const;

interface Node {
  n: number;
  client: number;
  route: number;
  monitor: number;
  proc: ChildProcess | null;
  log: string;
}

describe('NATS cluster (deploy/nats/cluster)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vc-nats-cluster-'));
  const clusterDir = join(dir, 'cluster');
  const nodes: Node[] = [];
  let env: NodeJS.ProcessEnv;
  let nc: NatsConnection | null = null;

  function rewrite(n: number, ports: Map<number, number>): string {
    const shipped = readFileSync(join(CLUSTER_DIR, `node-${n}.conf`), 'utf8');
    // every fixed port (client 423n, route 623n, monitoring 823n) becomes a free one
    const rendered = shipped
      .replace(/127\.0\.0\.1:(\d{4})\b/g, (_all, port: string) => {
        const to = ports.get(Number(port));
        if (!to) throw new Error(`unexpected port ${port} in node-${n}.conf`);
        return `127.0.0.1:${to}`;
      })
      .replace(/store_dir: ".*"/, `store_dir: "${join(dir, `node-${n}`)}"`);
    const file = join(clusterDir, `node-${n}.conf`);
    writeFileSync(file, rendered);
    return file;
  }

  function start(node: Node, file: string): void {
    node.log = '';
    node.proc = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'], env });
    node.proc.stdout?.on('data', (d) => (node.log += d));
    node.proc.stderr?.on('data', (d) => (node.log += d));
  }

  async function stop(node: Node): Promise<void> {
    const p = node.proc;
    node.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }

  beforeAll(async () => {
    // the node configs include ../accounts.conf, as in the repository
    require('node:fs').mkdirSync(clusterDir);
    copyFileSync(join(CLUSTER_DIR, '../accounts.conf'), join(dir, 'accounts.conf'));
    env = { ...natsServerEnv(), ...routeTlsEnv(dir) };
    const ports = new Map<number, number>();
    const free = await freePorts(NODES.length * 3);
    for (const n of NODES) for (const base of [4230, 6230, 8230]) ports.set(base + n, free.pop()!);
    for (const n of NODES) {
      const node: Node = { n, client: ports.get(4230 + n)!, route: ports.get(6230 + n)!, monitor: ports.get(8230 + n)!, proc: null, log: '' };
      nodes.push(node);
      start(node, rewrite(n, ports));
    }
    // the JetStream meta group has a leader once the routes are up
    await eventually(async () => {
      const jsz = (await (await fetch(`http://127.0.0.1:${nodes[0].monitor}/jsz`)).json()) as { meta_cluster?: { leader?: string; cluster_size?: number } };
      return jsz.meta_cluster?.leader && jsz.meta_cluster.cluster_size === 3;
    }, 20000, 200).catch((err) => {
      throw new Error(`cluster did not form: ${err}\n${nodes.map((n) => n.log).join('\n')}`);
    });
  });

  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    for (const node of nodes) await stop(node);
    rmSync(dir, { recursive: true, force: true });
  });

  it('NATS cluster: the three node configs form one JetStream cluster on their own ports and store directories', async () => {
    for (const node of nodes) {
      const varz = (await (await fetch(`http://127.0.0.1:${node.monitor}/varz`)).json()) as Record<string, any>;
      expect(varz.server_name).toBe(`vc-node-${node.n}`);
      expect(varz.cluster.name).toBe('vc-local');
      expect(varz.jetstream.config.store_dir).toBe(join(dir, `node-${node.n}`, 'jetstream'));
      expect(varz.host).toBe('127.0.0.1');
    }
  });

  it('NATS cluster: the event stream gets 3 replicas and keeps accepting events when one node stops', async () => {
    nc = await connectAs(nodes.map((n) => `nats://127.0.0.1:${n.client}`).join(','), 'ops');
    const jsm = await nc.jetstreamManager();
    // events come from their owner (redemption owns order.paid): the ops user administers, it publishes none
    const publisher = await connectAs(nodes.map((n) => `nats://127.0.0.1:${n.client}`).join(','), 'redemption');
    const info = await jsm.streams.add({ name: EVENT_STREAM, subjects: [`${EVENT_SUBJECT_PREFIX}.>`], num_replicas: 3, storage: StorageType.File });
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas).toHaveLength(2);

    const js = publisher.jetstream();
    const encode = (s: string) => new TextEncoder().encode(s);
    await js.publish(`${EVENT_SUBJECT_PREFIX}.order.paid`, encode('{}'), { msgID: 'e-1' });

    // the stream leader's node goes away: a quorum of 2 elects a new leader and carries on
    const leader = nodes.find((n) => `vc-node-${n.n}` === info.cluster?.leader)!;
    await stop(leader);
    const ack = await eventually(
      async () => js.publish(`${EVENT_SUBJECT_PREFIX}.order.paid`, encode('{}'), { msgID: 'e-2', timeout: 2000 }),
      30000,
      250,
    );
    expect(ack.seq).toBe(2);
    const after = await eventually(async () => {
      const i = await (await nc!.jetstreamManager()).streams.info(EVENT_STREAM);
      return i.cluster?.leader && i.cluster.leader !== info.cluster?.leader ? i : null;
    }, 30000, 250);
    expect(after?.state.messages).toBe(2);
    await publisher.close();
  });

  it('NATS cluster: a client without credentials is refused by every node', async () => {
    for (const node of nodes.filter((n) => n.proc)) {
      await expect(connect({ servers: `nats://127.0.0.1:${node.client}`, maxReconnectAttempts: 0 })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    }
  });

  it('NATS cluster: a rogue nats-server cannot join — not without a route certificate, not with one of another CA — nor become JetStream meta leader', async () => {
    const first = nodes.find((n) => n.proc)!;
    const before = (await (await fetch(`http://127.0.0.1:${first.monitor}/routez`)).json()) as { num_routes: number };
    const rogues: Node[] = [];
    for (const variant of ['no TLS', 'another CA'] as const) {
      const [client, route, monitor] = await freePorts(3);
      const rogueDir = mkdtempSync(join(dir, 'rogue-'));
      const tls =
        variant === 'another CA'
          ? (() => {
              const other = routeTlsEnv(rogueDir, 'rogue');
              return `tls { cert_file: "${other.NATS_ROUTE_CERT}", key_file: "${other.NATS_ROUTE_KEY}", ca_file: "${other.NATS_ROUTE_CA}", verify: true },`;
            })()
          : '';
      const file = join(rogueDir, 'rogue.conf');
      writeFileSync(
        file,
        `server_name: rogue-${variant === 'no TLS' ? 'a' : 'b'}\nlisten: 127.0.0.1:${client}\nhttp: 127.0.0.1:${monitor}\n` +
          `jetstream { store_dir: "${join(rogueDir, 'js')}" }\n` +
          `cluster { name: vc-local, listen: 127.0.0.1:${route}, ${tls} routes: [ nats-route://127.0.0.1:${first.route} ] }\n`,
      );
      const rogue: Node = { n: 0, client, route, monitor, proc: null, log: '' };
      rogue.proc = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      rogue.proc.stdout?.on('data', (d) => (rogue.log += d));
      rogue.proc.stderr?.on('data', (d) => (rogue.log += d));
      rogues.push(rogue);
    }
    try {
      // the rogues dial a node still running (an earlier test stopped the stream leader's) and are
      // turned away at the TLS handshake; then they have had several connect attempts
      await eventually(async () => /TLS|tls/.test(first.log + rogues.map((r) => r.log).join('')), 30000, 250).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 2000));
      const after = (await (await fetch(`http://127.0.0.1:${first.monitor}/routez`)).json()) as { num_routes: number; routes: Array<{ remote_id: string }> };
      expect(after.num_routes).toBe(before.num_routes);
      const jsz = (await (await fetch(`http://127.0.0.1:${first.monitor}/jsz`)).json()) as { meta_cluster?: { leader?: string; cluster_size?: number } };
      expect(jsz.meta_cluster?.leader).toMatch(/^vc-node-\d$/);
      for (const rogue of rogues) {
        const routez = (await (await fetch(`http://127.0.0.1:${rogue.monitor}/routez`).catch((e) => {
          throw new Error(`rogue monitor: ${e}\n${rogue.log}`);
        })).json()) as { num_routes: number };
        expect(routez.num_routes).toBe(0);
      }
      expect(first.log + rogues.map((r) => r.log).join('')).toMatch(/TLS|tls/);
    } finally {
      for (const rogue of rogues) await stop(rogue);
    }
  });
});
