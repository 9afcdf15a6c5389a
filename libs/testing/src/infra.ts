import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { NATS_USERS, natsAccountsConf, NatsUserPermissions, passwordVariable } from '@vc/messaging';
import { testNatsPassword, testSecretsDir } from './secrets';

/** The PostgreSQL server started by `npm run infra:up` (or CI); tests create their own databases on it. */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:15432/postgres';

/** A loopback port no one listens on now (the server is started on it a moment later). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * `count` loopback ports no one listens on now, all different: each is held until all are taken,
 * since the kernel may hand a port closed a moment ago out again (two nodes of one test were given
 * the same port that way, one for routes, one for monitoring).
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      server.unref();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
  }
}

/**
 * A free loopback port below the kernel's ephemeral range, for a server a test stops and starts
 * again on the same port: no outgoing connection is ever given such a port, so a client that keeps
 * reconnecting while the server is down cannot end up connected to itself on it (which then keeps
 * the server from binding it). Any port of the ephemeral range can be handed out that way.
 */
export async function freeServerPort(): Promise<number> {
  const { readFileSync, existsSync } = await import('node:fs');
  const range = '/proc/sys/net/ipv4/ip_local_port_range';
  const low = existsSync(range) ? Number(readFileSync(range, 'utf8').trim().split(/\s+/)[0]) : 32768;
  const from = Math.min(20000, low - 2000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port between ${from} and ${low}`);
}

export interface TestNats {
  url: string;
  port: number;
  /** SIGKILL-free stop; JetStream state stays on disk for a restart */
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs = 10000): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not listen on ${port}`);
}

/**
 * nats-server's environment with the NATS password of every user (accounts.conf reads them as
 * $NATS_<USER>_PASSWORD), from this process's test secrets.
 */
export function natsServerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const user of NATS_USERS) env[passwordVariable(user)] = testNatsPassword(user);
  return env;
}

/** A user of the VOUCHER account that is not part of the system (a benchmark's), with its password. */
export interface ExtraNatsUser {
  permissions: NatsUserPermissions;
  password: string;
}

/**
 * A nats-server configuration file with the system's own accounts and permissions (the text of
 * deploy/nats/accounts.conf, from libs/contracts): no anonymous user, each service its own rights.
 */
export function writeNatsConfig(dir: string, port: number, extra = '', extraUsers: NatsUserPermissions[] = []): string {
  writeFileSync(join(dir, 'accounts.conf'), natsAccountsConf(extraUsers));
  const file = join(dir, 'nats.conf');
  writeFileSync(file, `listen: 127.0.0.1:${port}\njetstream { store_dir: ${JSON.stringify(join(dir, 'store'))} }\n${extra}\ninclude ./accounts.conf\n`);
  return file;
}

/**
 * A real nats-server with JetStream, private to one test suite (its own port and store), locked
 * down as everywhere else (writeNatsConfig). `extraUsers`: users beyond the system's own, for a
 * harness (the benchmark's ceiling service), each with its own permissions and password.
 */
export async function startNats(options: { extraUsers?: ExtraNatsUser[] } = {}): Promise<TestNats> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vc-nats-'));
  const extra = options.extraUsers ?? [];
  const config = writeNatsConfig(dir, port, '', extra.map((u) => u.permissions));
  const passwords = Object.fromEntries(extra.map((u) => [passwordVariable(u.permissions.user), u.password]));
  let proc: ChildProcess | null = null;
  const start = async () => {
    proc = spawn('nats-server', ['-c', config], { stdio: 'ignore', env: natsServerEnv(passwords) });
    await waitForPort(port);
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    start,
    stop,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh database per suite on the shared PostgreSQL server (or on `adminUrl`'s, a server of the
 * test's own); services migrate it at boot.
 */
export async function createTestDatabase(adminUrl = TEST_PG_ADMIN_URL): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface ServiceProcess {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  output(): string;
}

/**
 * A service as its own OS process (TypeScript run through @swc-node/register), for tests that kill
 * processes. Resolves once the service says it is ready.
 */
export async function spawnService(
  app: 'registry' | 'issuance' | 'redemption' | 'settlement' | 'gateway',
  env: Record<string, string>,
  options: { compiled?: boolean; root?: string } = {},
): Promise<ServiceProcess> {
  const { resolve } = await import('node:path');
  // root: another checkout's build (the benchmark's A/B of two builds in one run)
  const root = options.root ?? resolve(__dirname, '../../..');
  // compiled: the built dist/ (as in production, less memory); otherwise TypeScript through swc
  const entry = options.compiled ? ['-r', './scripts/register-paths.js', `dist/apps/${app}/src/main.js`] : ['-r', '@swc-node/register', `apps/${app}/src/main.ts`];
  const child = spawn(process.execPath, entry, {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', SECRETS_DIR: testSecretsDir(), LOG_LEVEL: 'info', HTTP_PORT: '0', GRPC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // the output, as much as a failure report needs: past 256 kB only the latest half is kept (a
  // service logging every request of a long run would otherwise hold it all in memory)
  let out = '';
  const collect = (d: Buffer) => {
    out += d;
    if (out.length > 262_144 && (out.includes('service ready') || out.includes('gateway listening'))) out = out.slice(-131_072);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 60000;
  while (!out.includes('service ready') && !out.includes('gateway listening')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${app} exited while starting:\n${out.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${app} did not start:\n${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, exited, kill: (signal = 'SIGKILL') => child.kill(signal), output: () => out };
}

/**
 * A NATS cluster's route certificates for loopback nodes: a CA and one certificate (SAN 127.0.0.1)
 * signed by it, made with openssl in `dir`. Returns the environment the cluster configs read
 * (deploy/nats/cluster/*.conf: NATS_ROUTE_CA, NATS_ROUTE_CERT, NATS_ROUTE_KEY).
 */
export function routeTlsEnv(dir: string, name = 'route'): Record<string, string> {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', `${name}-ca.key`, '-out', `${name}-ca.crt`, '-days', '2', '-subj', `/CN=${name} CA`);
  openssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${name}-ca.crt`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  return { NATS_ROUTE_CA: join(dir, `${name}-ca.crt`), NATS_ROUTE_CERT: join(dir, `${name}.crt`), NATS_ROUTE_KEY: join(dir, `${name}.key`) };
}
