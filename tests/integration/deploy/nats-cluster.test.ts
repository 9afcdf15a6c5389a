import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection, StorageType } from 'nats';
import { EVENT_STREAM, EVENT_SUBJECT_PREFIX } from '@vc/contracts';
import { eventually, freePorts } from '@vc/testing';

// the integration project's testTimeout is not applied per project by jest 30: set it here
jest.setTimeout(60_000);

/**
 * deploy/nats/cluster/node-{1,2,3}.conf started as shipped (`nats-server -c`), moved to free
 * loopback ports and a temporary store so that the suite never collides with a running cluster.
 */
const CLUSTER_DIR = join(__dirname, '../../../deploy/nats/cluster');
const NODES = [1, 2, 3] as const;

interface Node {
  n: number;
  client: number;
  monitor: number;
  proc: ChildProcess | null;
  log: string;
}

describe('NATS cluster (deploy/nats/cluster)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vc-nats-cluster-'));
  const nodes: Node[] = [];
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
    const file = join(dir, `node-${n}.conf`);
    writeFileSync(file, rendered);
    return file;
  }

  function start(node: Node, file: string): void {
    node.log = '';
    node.proc = spawn('nats-server', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    const ports = new Map<number, number>();
    const free = await freePorts(NODES.length * 3);
    for (const n of NODES) for (const base of [4230, 6230, 8230]) ports.set(base + n, free.pop()!);
    for (const n of NODES) {
      const node: Node = { n, client: ports.get(4230 + n)!, monitor: ports.get(8230 + n)!, proc: null, log: '' };
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
    nc = await connect({ servers: nodes.map((n) => `nats://127.0.0.1:${n.client}`), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.add({ name: EVENT_STREAM, subjects: [`${EVENT_SUBJECT_PREFIX}.>`], num_replicas: 3, storage: StorageType.File });
    expect(info.config.num_replicas).toBe(3);
    expect(info.cluster?.replicas).toHaveLength(2);

    const js = nc.jetstream();
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
  });
});
