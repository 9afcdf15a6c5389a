import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { connect, ErrorCode, Events, headers as natsHeaders, Msg, NatsConnection, NatsError, Status } from 'nats';
import { loadConfig } from '@vc/config';
import { Events as EventSubjects, Subjects } from '@vc/contracts';
import { decodeReply } from '@vc/messaging';
import { bootstrapService } from '@vc/platform';
import { createTestDatabase, eventually, EventPublisher, freePorts, sql, TestDatabase, tokenFor } from '@vc/testing';
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
 * deploy/nats/nats.conf (with deploy/nats/accounts.conf) on a real nats-server: moved to free
 * loopback ports and a temporary JetStream store, otherwise as shipped.
 */
const NATS_DIR = join(__dirname, '../../../deploy/nats');
const USERS = ['gateway', 'registry', 'issuance', 'redemption', 'settlement', 'ops', 'provider-template'] as const;
type User = (typeof USERS)[number];
const passwordVariable = (user: User) => `NATS_${user.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
// nats-server parses environment values like config values: a password must start with a letter
const PASSWORDS = Object.fromEntries(USERS.map((u) => [u, `p${randomBytes(16).toString('hex')}`])) as Record<User, string>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface RunningNats {
  url: string;
  monitorUrl: string;
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

function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const user of USERS) env[passwordVariable(user)] = PASSWORDS[user];
  return env;
}

async function startNats(): Promise<RunningNats> {
  const dir = mkdtempSync(join(tmpdir(), 'vc-nats-perm-'));
  const [port, monitorPort] = await freePorts(2);
  const file = renderConfig(dir, port, monitorPort);
  const check = spawnSync('nats-server', ['-c', file, '-t'], { env: serverEnv(), encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nats-server refused deploy/nats/nats.conf: ${check.stderr}${check.stdout}`);
  let output = '';
  const proc = spawn('nats-server', ['-c', file], { env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d) => (output += d));
  proc.stderr?.on('data', (d) => (output += d));
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  await eventually(async () => (await fetch(`${monitorUrl}/healthz`)).ok, 10000, 50).catch((err) => {
    throw new Error(`nats-server did not become healthy: ${err}\n${output}`);
  });
  return { url: `nats://127.0.0.1:${port}`, monitorUrl, proc, dir, log: () => output };
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

describe('NATS permissions (deploy/nats/nats.conf)', () => {
  let nats: RunningNats;
  const connections: NatsConnection[] = [];

  async function connectAs(user: User): Promise<NatsConnection> {
    const nc = await connect({ servers: nats.url, user, pass: PASSWORDS[user], name: `perm-test-${user}`, maxReconnectAttempts: 0 });
    connections.push(nc);
    return nc;
  }

  /** A stand-in for a service: answers in its queue group as the wire format of ADR 0002 says. */
  async function responder(user: User, subject: string, queue: string, received: Msg[] = []): Promise<Msg[]> {
    const nc = await connectAs(user);
    nc.subscribe(subject, {
      queue,
      callback: (_err, msg) => {
        received.push(msg);
        const data = { subject: msg.subject, authorization: msg.headers?.get('Authorization') ?? null };
        msg.respond(encoder.encode(JSON.stringify({ ok: true, data })));
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

  it('NATS permissions: a user with a wrong password is refused', async () => {
    await expect(connect({ servers: nats.url, user: 'gateway', pass: 'pwrong', maxReconnectAttempts: 0 })).rejects.toMatchObject({
      code: ErrorCode.AuthorizationViolation,
    });
  });

  it('NATS permissions: a provider system may request redemption.order.pay (from its own account) and gets the reply', async () => {
    await responder('redemption', 'redemption.>', 'redemption');
    const provider = await connectAs('provider-template');
    const h = natsHeaders();
    h.set('Authorization', 'Bearer provider-token');
    h.set('Idempotency-Key', 'perm-pay-1');
    const reply = await provider.request(Subjects.redemption.orderPay, encoder.encode('{"orderId":"o-1"}'), { timeout: 5000, headers: h });
    expect(JSON.parse(decoder.decode(reply.data))).toEqual({
      ok: true,
      data: { subject: 'redemption.order.pay', authorization: 'Bearer provider-token' },
    });
    const claim = await provider.request(Subjects.redemption.claimSubmit, encoder.encode('{}'), { timeout: 5000 });
    expect(JSON.parse(decoder.decode(claim.data)).data.subject).toBe('redemption.claim.submit');
  });

  it('NATS permissions: a provider system publishing outside its permissions gets a Permissions Violation', async () => {
    const registryReceived = await responder('registry', 'registry.>', 'registry');
    const provider = await connectAs('provider-template');
    const seen = errorsOf(provider);

    provider.publish(Subjects.registry.providerApply, encoder.encode('{}'));
    const violation = await permissionViolation(seen, 'publish', Subjects.registry.providerApply);
    expect(String(violation.data)).toBe('PERMISSIONS_VIOLATION');

    // forging an event on the stream, or another redemption entity, is refused the same way
    provider.publish('voucher.events.order.paid', encoder.encode('{}'));
    await permissionViolation(seen, 'publish', 'voucher.events.order.paid');
    provider.publish(Subjects.redemption.balanceGet, encoder.encode('{}'));
    await permissionViolation(seen, 'publish', Subjects.redemption.balanceGet);

    // listening in on the system is refused too
    const sub = provider.subscribe('voucher.events.>');
    const iteration = (async () => {
      for await (const _m of sub) {
        /* nothing may arrive */
      }
    })();
    await expect(iteration).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
    await permissionViolation(seen, 'subscription', 'voucher.events.>');

    await provider.flush();
    expect(registryReceived).toHaveLength(0);
    expect(provider.isClosed()).toBe(false); // refused, not disconnected
  });

  it('NATS permissions: a provider request to a forbidden subject fails with a permissions error', async () => {
    const settlementReceived = await responder('settlement', 'settlement.>', 'settlement');
    const provider = await connectAs('provider-template');
    const started = Date.now();
    const err = await provider.request(Subjects.settlement.runDisburse, encoder.encode('{}'), { timeout: 5000 }).then(
      () => null,
      (e: NatsError) => e,
    );
    expect(err).toBeInstanceOf(NatsError);
    expect(err?.code).toBe(ErrorCode.PermissionsViolation);
    expect(Date.now() - started).toBeLessThan(5000); // refused by the server, not timed out
    await sleep(100);
    expect(settlementReceived).toHaveLength(0);
  });

  it('NATS permissions: the gateway user cannot subscribe to registry.> as a service would, but may request it', async () => {
    const gateway = await connectAs('gateway');
    const seen = errorsOf(gateway);

    const sub = gateway.subscribe('registry.>', { queue: 'registry' });
    const iteration = (async () => {
      for await (const _m of sub) {
        /* nothing may arrive */
      }
    })();
    await expect(iteration).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
    const violation = await permissionViolation(seen, 'subscription', 'registry.>');
    // nats.js parses the queue group out of the error but does not declare it in its types
    expect((violation.permissionContext as { queue?: string } | undefined)?.queue).toBe('registry');

    // nor answer as a service, nor publish events
    gateway.publish('voucher.events.provider.admitted', encoder.encode('{}'));
    await permissionViolation(seen, 'publish', 'voucher.events.provider.admitted');

    // what it is for: requests to the services, replies on its inbox
    await responder('registry', 'registry.>', 'registry');
    const reply = await gateway.request(Subjects.registry.providerList, encoder.encode('{}'), { timeout: 5000 });
    expect(JSON.parse(decoder.decode(reply.data)).ok).toBe(true);
  });

  it("NATS permissions: a service user may serve only its own subjects in its own queue group", async () => {
    const registry = await connectAs('registry');
    const seen = errorsOf(registry);
    registry.subscribe('redemption.>', { queue: 'redemption' });
    await permissionViolation(seen, 'subscription', 'redemption.>');
    registry.subscribe('registry.>'); // its subjects outside its queue group
    await permissionViolation(seen, 'subscription', 'registry.>');
    // a write on another service is not a request it may make; reads are
    registry.publish(Subjects.issuance.quotaClaim, encoder.encode('{}'));
    await permissionViolation(seen, 'publish', Subjects.issuance.quotaClaim);
    await responder('issuance', 'issuance.>', 'issuance');
    const reply = await registry.request(Subjects.issuance.programmeGet, encoder.encode('{}'), { timeout: 5000 });
    expect(JSON.parse(decoder.decode(reply.data)).data.subject).toBe(Subjects.issuance.programmeGet);
  });

  describe('with services booted under their own NATS users', () => {
    let db: TestDatabase;
    const apps: INestApplication[] = [];

    const configFor = (user: User) =>
      loadConfig(
        {},
        {
          NODE_ENV: 'test',
          DATABASE_URL: db.url,
          NATS_URL: nats.url,
          NATS_USER: user,
          NATS_PASSWORD: PASSWORDS[user],
          LOG_LEVEL: 'warn',
          DB_POOL_SIZE: 5,
          OUTBOX_POLL_MS: 20,
        },
      );

    /** Log lines of permission violations by a service's own connections (`<service>-client/-server`). */
    const violationsBy = (service: string) =>
      nats.log().split('\n').filter((l) => /Violation/.test(l) && (l.includes(`:${service}-client"`) || l.includes(`:${service}-server"`)));

    beforeAll(async () => {
      db = await createTestDatabase();
      apps.push(await bootstrapService(registryService, configFor('registry')));
      apps.push(await bootstrapService(issuanceService, configFor('issuance')));
      apps.push(await bootstrapService(redemptionService, configFor('redemption')));
      apps.push(await bootstrapService(settlementService, configFor('settlement')));
      apps.push(await bootstrapGateway(configFor('gateway'), false));
    });

    afterAll(async () => {
      for (const app of apps.reverse()) await app.close().catch(() => undefined);
      await db?.drop();
    });

    it('NATS permissions: the registry serves gateway requests in its queue group and relays its outbox to JetStream', async () => {
      const gateway = await connectAs('gateway');
      const code = newCreditCode();
      const h = natsHeaders();
      h.set('Authorization', `Bearer ${tokenFor(providerAccount(code))}`);
      h.set('Idempotency-Key', 'perm-apply-1');
      const body = { creditCode: code, legalName: '权限测试大学', unitName: '测试学院', kind: 'college', province: 'SH' };
      const msg = await gateway.request(Subjects.registry.providerApply, encoder.encode(JSON.stringify(body)), { timeout: 10000, headers: h });
      const reply = decodeReply(msg.data);
      expect(reply).toMatchObject({ ok: true });

      // the relay published the event with the registry user's JetStream rights
      await eventually(async () => {
        const [{ n }] = await sql(db.url, `SELECT count(*)::int AS n FROM registry.outbox WHERE published_at IS NULL`);
        return n === 0;
      });
      const ops = await connectAs('ops');
      const stream = await (await ops.jetstreamManager()).streams.info('VOUCHER_EVENTS');
      expect(stream.state.messages).toBeGreaterThanOrEqual(1);

      // a provider system cannot reach the registry at all
      const provider = await connectAs('provider-template');
      const refused = await provider
        .request(Subjects.registry.providerGet, encoder.encode('{}'), { timeout: 5000, headers: h })
        .then(() => null, (e: NatsError) => e);
      expect(refused?.code).toBe(ErrorCode.PermissionsViolation);
      expect(violationsBy('registry')).toEqual([]);
    });

    it('NATS permissions: the issuance service creates its durable consumers, pulls and acks events with its own user', async () => {
      const settlement = await connectAs('settlement');
      const eventId = await new EventPublisher(nats.url).publish(EventSubjects.regionCaughtUp, 'region-x', { regionId: randomUUID(), overdueCount: 0, overdueFen: 0 });
      await eventually(async () => {
        const rows = await sql(db.url, `SELECT 1 FROM issuance.processed_events WHERE event_id = $1`, [eventId]);
        return rows.length === 1;
      });
      const ops = await connectAs('ops');
      const consumers = await (await ops.jetstreamManager()).consumers.list('VOUCHER_EVENTS').next();
      const mine = consumers.filter((c) => c.name.startsWith('issuance-'));
      expect(mine.length).toBeGreaterThanOrEqual(1);
      await eventually(async () => {
        const infos = await Promise.all(mine.map((c) => ops.jetstreamManager().then((m) => m.consumers.info('VOUCHER_EVENTS', c.name))));
        return infos.every((i) => i.num_ack_pending === 0 && i.num_pending === 0);
      });
      expect(violationsBy('issuance')).toEqual([]);
    });

    it('NATS permissions: all five services boot under their own users (stream, durable consumers, queue groups) without a permission violation', async () => {
      const ops = await connectAs('ops');
      const jsm = await ops.jetstreamManager();
      const consumers = (await jsm.consumers.list('VOUCHER_EVENTS').next()).map((c) => c.name);
      for (const service of ['redemption', 'settlement']) expect(consumers.some((name) => name.startsWith(`${service}-`))).toBe(true);
      // each service answers in its own queue group, reached with the gateway's user
      const gateway = await connectAs('gateway');
      for (const subject of [Subjects.registry.health, Subjects.issuance.health, Subjects.redemption.health, Subjects.settlement.health]) {
        const reply = await gateway.request(subject, encoder.encode('{}'), { timeout: 10000 }).catch((e: NatsError) => e);
        expect({ subject, answered: !(reply instanceof Error) }).toEqual({ subject, answered: true });
      }
      // a provider system reaches the real redemption service across accounts; the service's reply
      // (a refusal here: no such order) comes back through the import
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
