import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { connect, ErrorCode, Events, headers as natsHeaders, NatsConnection, NatsError, Status } from 'nats';
import { loadConfig } from '@vc/config';
import { durablesOf, EVENT_CATALOG, RATE_LIMIT_BUCKET, requestSubjectsOf, EVENT_STREAM, Events as EventSubjects, eventsOwnedBy, EventType, SERVICE_NAMES, ServiceName, Subjects } from '@vc/contracts';
import { decodeReply, inboxPrefix, natsAccountsConf, NATS_USERS } from '@vc/messaging';
import { bootstrapService } from '@vc/platform';
import { createTestDatabase, eventually, EventPublisher, freePorts, natsServerEnv, sql, TestDatabase, testNatsPassword, testSecretsDir, tokenFor } from '@vc/testing';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { redemptionService } from '../../../apps/redemption/src/redemption.module';
import { registryService } from '../../../apps/registry/src/registry.module';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { newCreditCode } from '../../fixtures/credit-codes';
import { providerAccount, providerUnit } from '../../fixtures/principals';

// the integration project's testTimeout is not applied per project by jest 30: set it here
jest.setTimeout(60_000);

/**
 * deploy/nats/nats.conf with deploy/nats/accounts.conf — the permissions generated from the bus data
 * in libs/contracts — on a real nats-server: moved to free loopback ports and a temporary JetStream
 * store, otherwise as shipped. Each user tries, as an attacker with its password would, what it
 * must not do: another service's events, subjects, queue group, durable consumers and inbox.
 */
const ROOT = join(__dirname, '../../..');
const NATS_DIR = join(ROOT, 'deploy/nats');
type User = (typeof NATS_USERS)[number];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface RunningNats {
  url: string;
  proc: ChildProcess;
  dir: string;
  log: () => string;
}

function renderConfig(dir: string, port: number, monitorPort: number): string {
  const shipped = readFileSync(join(NATS_DIR, 'nats.conf'), 'utf8');
  const rendered = shipped
    .replace(/^listen: .*$/m, `listen: 127.0.0.1:${port}`)
    .replace(/^http: .*$/m, `http: 127.0.0.1:${monitorPort}`)
    .replace(/^(\s*)store_dir: .*$/m, `$1store_dir: "${join(dir, 'store')}"`);
  for (const line of ['listen: 127.0.0.1:', 'http: 127.0.0.1:', join(dir, 'store')]) {
    if (!rendered.includes(line)) throw new Error(`deploy/nats/nats.conf no longer has the line the test rewrites (${line})`);
  }
  const file = join(dir, 'nats.conf');
  writeFileSync(file, rendered);
  copyFileSync(join(NATS_DIR, 'accounts.conf'), join(dir, 'accounts.conf'));
  return file;
}

async function startNats(): Promise<RunningNats> {
  const dir = mkdtempSync(join(tmpdir(), 'vc-nats-perm-'));
  const [port, monitorPort] = await freePorts(2);
  const file = renderConfig(dir, port, monitorPort);
  const check = spawnSync('nats-server', ['-c', file, '-t'], { env: natsServerEnv(), encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nats-server refused deploy/nats/nats.conf: ${check.stderr}${check.stdout}`);
  let output = '';
  const proc = spawn('nats-server', ['-c', file], { env: natsServerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d) => (output += d));
  proc.stderr?.on('data', (d) => (output += d));
  await eventually(async () => (await fetch(`http://127.0.0.1:${monitorPort}/healthz`)).ok, 10000, 50).catch((err) => {
    throw new Error(`nats-server did not become healthy: ${err}\n${output}`);
  });
  return { url: `nats://127.0.0.1:${port}`, proc, dir, log: () => output };
}

/** Collects the server's error notices (-ERR) of one connection. */
function errorsOf(nc: NatsConnection): Status[] {
  const seen: Status[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === Events.Error) seen.push(s);
  })().catch(() => undefined);
  return seen;
}

async function permissionViolation(seen: Status[], operation: 'publish' | 'subscription', subject: string): Promise<Status> {
  return eventually<Status | undefined>(
    async () => seen.find((s) => s.data === ErrorCode.PermissionsViolation && s.permissionContext?.operation === operation && s.permissionContext?.subject === subject),
    5000,
    20,
  ) as Promise<Status>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('NATS permissions (deploy/nats/nats.conf and the accounts generated from libs/contracts)', () => {
  let nats: RunningNats;
  const connections: NatsConnection[] = [];

  async function connectAs(user: User, name = `perm-test-${user}`): Promise<NatsConnection> {
    const nc = await connect({
      servers: nats.url,
      user,
      pass: testNatsPassword(user),
      name,
      maxReconnectAttempts: 0,
      inboxPrefix: user === 'provider-template' ? undefined : inboxPrefix(user),
    });
    connections.push(nc);
    return nc;
  }

  /** A stand-in for a service: answers in its queue group as the wire format of ADR 0002 says. */
  async function responder(user: ServiceName, subject: string) {
    const nc = await connectAs(user);
    const received: string[] = [];
    nc.subscribe(subject, {
      queue: user,
      callback: (_err, msg) => {
        received.push(msg.subject);
        msg.respond(encoder.encode(JSON.stringify({ ok: true, data: { subject: msg.subject, authorization: msg.headers?.get('Authorization') ?? null } })));
      },
    });
    await nc.flush();
    return received;
  }

  beforeAll(async () => {
    nats = await startNats();
  });

  // every test starts without the previous test's stand-ins in the queue groups
  afterEach(async () => {
    for (const nc of connections.splice(0)) await nc.close().catch(() => undefined);
  });

  afterAll(async () => {
    if (nats?.proc.exitCode === null) {
      await new Promise<void>((resolve) => {
        nats.proc.once('exit', () => resolve());
        nats.proc.kill('SIGTERM');
      });
    }
    if (nats) rmSync(nats.dir, { recursive: true, force: true });
  });

  it('the shipped accounts.conf files are the accounts generated from the bus data (npm run nats:accounts)', () => {
    const generated = natsAccountsConf();
    expect(readFileSync(join(ROOT, 'deploy/nats/accounts.conf'), 'utf8')).toBe(generated);
    expect(readFileSync(join(ROOT, 'deploy/k8s/base/nats/accounts.conf'), 'utf8')).toBe(generated);
  });

  it('no anonymous client, no wrong password, no user of another account', async () => {
    await expect(connect({ servers: nats.url, maxReconnectAttempts: 0 })).rejects.toMatchObject({ code: ErrorCode.AuthorizationViolation });
    await expect(connect({ servers: nats.url, user: 'gateway', pass: 'pwrong', maxReconnectAttempts: 0 })).rejects.toMatchObject({ code: ErrorCode.AuthorizationViolation });
    await expect(connect({ servers: nats.url, user: 'redemption', pass: testNatsPassword('registry'), maxReconnectAttempts: 0 })).rejects.toMatchObject({
      code: ErrorCode.AuthorizationViolation,
    });
  });

  it.each(SERVICE_NAMES)('%s may publish only the events it owns; every other event subject is refused by NATS', async (service) => {
    const nc = await connectAs(service);
    const seen = errorsOf(nc);
    const foreign = (Object.keys(EVENT_CATALOG) as EventType[]).filter((t) => EVENT_CATALOG[t].owner !== service);
    for (const subject of foreign) nc.publish(subject, encoder.encode('{}'));
    for (const subject of foreign) await permissionViolation(seen, 'publish', subject);
    // its own events reach the stream (JetStream acknowledges them)
    const ops = await connectAs('ops');
    const jsm = await ops.jetstreamManager();
    await jsm.streams.add({ name: EVENT_STREAM, subjects: ['voucher.events.>'] }).catch(() => undefined);
    const own = eventsOwnedBy(service);
    const ack = await nc.jetstream().publish(own[0], encoder.encode('{}'), { msgID: randomUUID() });
    expect(ack.stream).toBe(EVENT_STREAM);
    expect(seen.filter((s) => s.permissionContext?.subject === own[0])).toEqual([]);
  });

  it.each(SERVICE_NAMES)("%s may not pull, ack or create another service's durable consumers", async (service) => {
    const nc = await connectAs(service);
    const seen = errorsOf(nc);
    const others = SERVICE_NAMES.filter((s) => s !== service).flatMap((s) => durablesOf(s));
    expect(others.length).toBeGreaterThan(0);
    for (const durable of others) {
      for (const subject of [
        `$JS.API.CONSUMER.MSG.NEXT.${EVENT_STREAM}.${durable}`,
        `$JS.ACK.${EVENT_STREAM}.${durable}.1.1.1.1.0`,
        `$JS.API.CONSUMER.CREATE.${EVENT_STREAM}.${durable}.voucher.events.>`,
        `$JS.API.CONSUMER.INFO.${EVENT_STREAM}.${durable}`,
      ]) {
        nc.publish(subject, encoder.encode('{}'));
        await permissionViolation(seen, 'publish', subject);
      }
    }
    // nor delete or change the stream, nor list others' consumers
    for (const subject of [`$JS.API.STREAM.DELETE.${EVENT_STREAM}`, `$JS.API.STREAM.UPDATE.${EVENT_STREAM}`, `$JS.API.CONSUMER.LIST.${EVENT_STREAM}`]) {
      nc.publish(subject, encoder.encode('{}'));
      await permissionViolation(seen, 'publish', subject);
    }
  });

  it.each(SERVICE_NAMES)("%s may answer only its own subjects in its own queue group, and read only its own inbox", async (service) => {
    const nc = await connectAs(service);
    const seen = errorsOf(nc);
    const other = SERVICE_NAMES.find((s) => s !== service)!;
    const otherSubject = requestSubjectsOf(other)[1];
    nc.subscribe(otherSubject, { queue: other });
    await permissionViolation(seen, 'subscription', otherSubject);
    const ownSubject = requestSubjectsOf(service)[1];
    nc.subscribe(ownSubject); // its subject, outside its queue group (it would receive every request)
    await permissionViolation(seen, 'subscription', ownSubject);
    for (const inbox of ['_INBOX.>', `${inboxPrefix('gateway')}.>`, `${inboxPrefix(other)}.>`, 'voucher.events.>', '>']) {
      nc.subscribe(inbox);
      await permissionViolation(seen, 'subscription', inbox);
    }
  });

  it('the gateway may request every service but answer none, publish no event and use no JetStream but its rate-limit bucket; the ops user may not publish events', async () => {
    const gateway = await connectAs('gateway');
    const seen = errorsOf(gateway);
    gateway.subscribe('registry.provider.list', { queue: 'registry' });
    await permissionViolation(seen, 'subscription', 'registry.provider.list');
    gateway.publish(EventSubjects.providerAdmitted, encoder.encode('{}'));
    await permissionViolation(seen, 'publish', EventSubjects.providerAdmitted);
    gateway.publish(`$JS.API.STREAM.INFO.${EVENT_STREAM}`, encoder.encode('{}'));
    await permissionViolation(seen, 'publish', `$JS.API.STREAM.INFO.${EVENT_STREAM}`);
    // its one bucket (the rate limits shared by the gateways), and no other
    for (const subject of ['$KV.OTHER.key', '$JS.API.STREAM.CREATE.KV_OTHER', `$JS.API.DIRECT.GET.${EVENT_STREAM}`, `$JS.API.STREAM.DELETE.KV_${RATE_LIMIT_BUCKET}`, `$JS.API.STREAM.PURGE.KV_${RATE_LIMIT_BUCKET}`]) {
      gateway.publish(subject, encoder.encode('{}'));
      await permissionViolation(seen, 'publish', subject);
    }
    // settlement's service-to-service request is not the public's
    gateway.publish(Subjects.redemption.claimConfirm, encoder.encode('{}'));
    await permissionViolation(seen, 'publish', Subjects.redemption.claimConfirm);
    await responder('registry', Subjects.registry.providerList);
    const reply = await gateway.request(Subjects.registry.providerList, encoder.encode('{}'), { timeout: 5000 });
    expect(JSON.parse(decoder.decode(reply.data)).ok).toBe(true);

    const ops = await connectAs('ops');
    const opsSeen = errorsOf(ops);
    ops.publish(EventSubjects.claimAmended, encoder.encode('{}'));
    await permissionViolation(opsSeen, 'publish', EventSubjects.claimAmended);
    ops.subscribe(Subjects.settlement.publicityList, { queue: 'settlement' });
    await permissionViolation(opsSeen, 'subscription', Subjects.settlement.publicityList);
  });

  it('a provider system reaches the redemption subjects made for it, from its own account, and nothing else', async () => {
    const received = await responder('redemption', 'redemption.order.pay');
    const provider = await connectAs('provider-template');
    const seen = errorsOf(provider);
    const h = natsHeaders();
    h.set('Authorization', 'Bearer provider-token');
    const reply = await provider.request(Subjects.redemption.orderPay, encoder.encode('{"orderId":"o-1"}'), { timeout: 5000, headers: h });
    expect(JSON.parse(decoder.decode(reply.data))).toEqual({ ok: true, data: { subject: 'redemption.order.pay', authorization: 'Bearer provider-token' } });
    for (const subject of [Subjects.registry.providerApply, Subjects.redemption.balanceGet, Subjects.redemption.claimConfirm, Subjects.settlement.runDisburse, 'voucher.events.order.paid']) {
      provider.publish(subject, encoder.encode('{}'));
      await permissionViolation(seen, 'publish', subject);
    }
    provider.subscribe('voucher.events.>');
    await permissionViolation(seen, 'subscription', 'voucher.events.>');
    const started = Date.now();
    const err = await provider.request(Subjects.settlement.runDisburse, encoder.encode('{}'), { timeout: 5000 }).then(
      () => null,
      (e: NatsError) => e,
    );
    expect(err?.code).toBe(ErrorCode.PermissionsViolation);
    expect(Date.now() - started).toBeLessThan(5000); // refused by the server, not timed out
    expect(received).toHaveLength(1);
  });

  describe('with services booted under their own NATS users', () => {
    let db: TestDatabase;
    const apps: INestApplication[] = [];

    const configFor = () =>
      loadConfig(
        {},
        { NODE_ENV: 'test', SECRETS_DIR: testSecretsDir(), DATABASE_URL: db.url, NATS_URL: nats.url, LOG_LEVEL: 'warn', DB_POOL_SIZE: 5, OUTBOX_POLL_MS: 20 },
      );

    /** Log lines of permission violations by a service's own connections (`<service>-client/-server`). */
    const violationsBy = (service: string) =>
      nats.log().split('\n').filter((l) => /Violation/.test(l) && (l.includes(`:${service}-client"`) || l.includes(`:${service}-server"`)));

    beforeAll(async () => {
      db = await createTestDatabase();
      apps.push(await bootstrapService(registryService, configFor()));
      apps.push(await bootstrapService(issuanceService, configFor()));
      apps.push(await bootstrapService(redemptionService, configFor()));
      apps.push(await bootstrapService(settlementService, configFor()));
      apps.push(await bootstrapGateway(configFor(), false));
    });

    afterAll(async () => {
      for (const app of apps.reverse()) await app.close().catch(() => undefined);
      await db?.drop();
    });

    it('the registry serves gateway requests in its queue group and relays its signed events to JetStream', async () => {
      const gateway = await connectAs('gateway');
      const code = newCreditCode();
      const h = natsHeaders();
      h.set('Authorization', `Bearer ${tokenFor(providerAccount(code))}`);
      h.set('Idempotency-Key', 'perm-apply-1');
      const body = { creditCode: code, legalName: '权限测试大学', unitName: '测试学院', kind: 'college', province: 'SH' };
      const msg = await gateway.request(Subjects.registry.providerApply, encoder.encode(JSON.stringify(body)), { timeout: 10000, headers: h });
      expect(decodeReply(msg.data)).toMatchObject({ ok: true });
      await eventually(async () => (await sql(db.url, `SELECT count(*)::int AS n FROM registry.outbox WHERE published_at IS NULL`))[0].n === 0);
      const ops = await connectAs('ops');
      const stored = await (await ops.jetstreamManager()).streams.getMessage(EVENT_STREAM, { last_by_subj: EventSubjects.providerAdmitted });
      expect(stored.header.get('Vc-Signer')).toBe('registry');
      expect(violationsBy('registry')).toEqual([]);
    });

    it('the issuance service creates its durable consumers, pulls and acks events with its own user', async () => {
      const publisher = new EventPublisher(nats.url);
      const eventId = await publisher.publish(EventSubjects.regionCaughtUp, 'region-x', { regionId: randomUUID(), overdueCount: 0, overdueFen: 0 });
      await publisher.close();
      await eventually(async () => (await sql(db.url, `SELECT 1 FROM issuance.processed_events WHERE event_id = $1`, [eventId])).length === 1);
      const ops = await connectAs('ops');
      const consumers = (await (await ops.jetstreamManager()).consumers.list(EVENT_STREAM).next()).map((c) => c.name);
      expect(consumers).toEqual(expect.arrayContaining(durablesOf('issuance')));
      expect(violationsBy('issuance')).toEqual([]);
    });

    it('all five services boot under their own users (stream, durable consumers, queue groups) without a permission violation', async () => {
      const ops = await connectAs('ops');
      const consumers = (await (await ops.jetstreamManager()).consumers.list(EVENT_STREAM).next()).map((c) => c.name);
      for (const service of SERVICE_NAMES) expect(consumers).toEqual(expect.arrayContaining(durablesOf(service)));
      const gateway = await connectAs('gateway');
      for (const subject of [Subjects.registry.health, Subjects.issuance.health, Subjects.redemption.health, Subjects.settlement.health]) {
        const reply = await gateway.request(subject, encoder.encode('{}'), { timeout: 10000 }).catch((e: NatsError) => e);
        expect({ subject, answered: !(reply instanceof Error) }).toEqual({ subject, answered: true });
      }
      // a provider system reaches the real redemption service across accounts
      const provider = await connectAs('provider-template');
      const h = natsHeaders();
      h.set('Authorization', `Bearer ${tokenFor(providerUnit(randomUUID()))}`);
      const msg = await provider.request(Subjects.redemption.orderGet, encoder.encode(JSON.stringify({ orderId: randomUUID() })), { timeout: 10000, headers: h });
      expect(decodeReply(msg.data)).toMatchObject({ ok: false, error: { code: expect.any(String) } });
      await sleep(200);
      for (const service of ['registry', 'issuance', 'redemption', 'settlement', 'gateway']) expect(violationsBy(service)).toEqual([]);
    });
  });
});
