import { randomUUID } from 'node:crypto';
import { connect, headers as natsHeaders, NatsConnection } from 'nats';
import { Client } from 'pg';
import { loadServiceKey, TrustedServiceKeys } from '@vc/auth';
import { COPIES, COPY_NAMES, CopyName, EVENT_CATALOG, EVENT_STREAM, EventType, HeartbeatEvent, Headers, Principal, ServiceName, toJson } from '@vc/contracts';
import { decodeReply, EventSigner, inboxPrefix, RpcReply } from '@vc/messaging';
import { testNatsPassword, testSecretsDir, tokenFor } from './secrets';

export interface CallOptions {
  principal?: Principal;
  token?: string;
  idempotencyKey?: string;
  timeoutMs?: number;
  /** raw bytes instead of JSON (malformed-input tests) */
  raw?: string;
  /** sent as X-Correlation-Id, as a caller tracing its own request would */
  correlationId?: string;
  /** sent as X-Client-Address, as the gateway forwards its HTTP client's address */
  clientAddress?: string;
}

/** A connection to a suite's nats-server as one of the system's NATS users. */
export function connectAs(url: string, user: string, name = `test-${user}`): Promise<NatsConnection> {
  return connect({ servers: url, name, user, pass: testNatsPassword(user), inboxPrefix: user === 'provider-template' ? undefined : inboxPrefix(user) });
}

/**
 * A plain NATS client returning the reply envelope: requests go as the gateway user (what the
 * gateway, or an operator's tool, may call), and `nc` is the operators' `ops` user, for looking at
 * the event stream and its consumers. Neither may publish events or answer requests.
 */
export class NatsTestClient {
  private constructor(readonly nc: NatsConnection, private readonly requests: NatsConnection) {}

  static async connect(url: string): Promise<NatsTestClient> {
    return new NatsTestClient(await connectAs(url, 'ops', 'test-ops'), await connectAs(url, 'gateway', 'test-client'));
  }

  async call<T = any>(subject: string, body: unknown, options: CallOptions = {}): Promise<RpcReply<T>> {
    const h = natsHeaders();
    const token = options.token ?? (options.principal ? tokenFor(options.principal) : undefined);
    if (token) h.set(Headers.Authorization, `Bearer ${token}`);
    if (options.idempotencyKey) h.set(Headers.IdempotencyKey, options.idempotencyKey);
    if (options.correlationId) h.set(Headers.CorrelationId, options.correlationId);
    if (options.clientAddress) h.set(Headers.ClientAddress, options.clientAddress);
    const payload = options.raw ?? toJson(body ?? {});
    // the simulated clock is moved with the operators' tool user, as the demo does
    const nc = subject.endsWith('.clock.set') ? this.nc : this.requests;
    const msg = await nc.request(subject, new TextEncoder().encode(payload), { timeout: options.timeoutMs ?? 15000, headers: h });
    return decodeReply<T>(msg.data);
  }

  /** Like call, but returns data and throws with the error body on refusal. */
  async ok<T = any>(subject: string, body: unknown, options: CallOptions = {}): Promise<T> {
    const reply = await this.call<T>(subject, body, options);
    if (!reply.ok) throw new Error(`${subject} refused: ${JSON.stringify(reply.error)}`);
    return reply.data;
  }

  async close(): Promise<void> {
    for (const nc of [this.requests, this.nc]) await nc.drain().catch(() => nc.close());
  }
}

/**
 * Rows per table of a schema, to prove that a refused request wrote nothing. Left out by default:
 * the migrations, and processed_events, which only event consumers write; they may still be taking
 * in the events of a test's own set-up (a region created just before) while the requests run.
 */
/**
 * Rows per table of a schema, to show that a refused request wrote nothing. Left out: bookkeeping
 * that moves on its own or is the answer's record rather than an effect — migrations, events
 * processed, copies' heartbeats and freshness (and heartbeats in the outbox), and the idempotency store (where a final refusal is
 * kept as the key's answer, R-OFFSET-2; tests/integration/redemption/stored-refusals.test.ts).
 */
export const BOOKKEEPING_TABLES: readonly string[] = ['migrations', 'processed_events', 'copy_heartbeats', 'copy_freshness', 'idempotency'];

export async function rowCounts(
  databaseUrl: string,
  schema: string,
  exclude: readonly string[] = BOOKKEEPING_TABLES,
): Promise<Record<string, number>> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const tables = await c.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [schema]);
    const counts: Record<string, number> = {};
    for (const { table_name } of tables.rows) {
      if (exclude.includes(table_name)) continue;
      // Heartbeats (libs/platform HeartbeatEmitter) go through the outbox on their own clock.
      const where = table_name === 'outbox' ? ` WHERE aggregate_type <> 'heartbeat'` : '';
      const r = await c.query(`SELECT count(*)::int AS n FROM "${schema}"."${table_name}"${where}`);
      counts[table_name] = r.rows[0].n;
    }
    return counts;
  } finally {
    await c.end();
  }
}

export async function sql<T = any>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

/**
 * Publishes events as the service that owns them would: connected as that service's NATS user and
 * signed with its key (tests feed the upstream events of a service they do not start).
 */
export class EventPublisher {
  private readonly connections = new Map<ServiceName, Promise<NatsConnection>>();
  private readonly signers = new Map<ServiceName, EventSigner>();

  constructor(private readonly url: string) {}

  signer(service: ServiceName): EventSigner {
    let signer = this.signers.get(service);
    if (!signer) {
      const trusted = TrustedServiceKeys.load(testSecretsDir(), false);
      signer = new EventSigner(loadServiceKey(testSecretsDir(), service, trusted, false));
      this.signers.set(service, signer);
    }
    return signer;
  }

  connection(service: ServiceName): Promise<NatsConnection> {
    let nc = this.connections.get(service);
    if (!nc) {
      nc = connectAs(this.url, service, `test-events-${service}`);
      this.connections.set(service, nc);
    }
    return nc;
  }

  /** Publishes bytes on an event subject as `service`, signed by it (or unsigned), with its own Nats-Msg-Id. */
  async publishRaw(service: ServiceName, subject: string, data: Uint8Array, options: { msgID?: string; signed?: boolean } = {}): Promise<{ seq: number; duplicate: boolean }> {
    const nc = await this.connection(service);
    const headers = options.signed === false ? undefined : this.signer(service).headers(subject, data);
    return nc.jetstream().publish(subject, data, { msgID: options.msgID ?? randomUUID(), headers });
  }

  /**
   * An event of `subject` from its owner (EVENT_CATALOG), as its outbox would have written it. An
   * owner that sends events of a state others copy also vouches for it: its heartbeats start with its
   * first such event (`keepFresh`), unless the suite stopped them.
   */
  async publish(subject: string, aggregateId: string, payload: unknown, occurredAt = new Date()): Promise<string> {
    const owner = EVENT_CATALOG[subject as EventType]?.owner;
    if (!owner) throw new Error(`${subject} is not an event type of the catalog`);
    const copy = COPY_NAMES.find((c) => subject !== COPIES[c].heartbeat && subject.startsWith(COPIES[c].heartbeat.slice(0, COPIES[c].heartbeat.lastIndexOf('.') + 1)));
    if (copy && !this.beating.has(copy) && !this.silenced.has(copy)) await this.keepFresh([copy]);
    const id = randomUUID();
    const envelope = { id, type: subject, aggregateType: subject.split('.')[2], aggregateId, occurredAt: occurredAt.toISOString(), payload };
    await this.publishRaw(owner, subject, new TextEncoder().encode(toJson(envelope)), { msgID: id });
    return id;
  }

  private readonly beating = new Map<CopyName, NodeJS.Timeout>();
  /** copies whose heartbeats the suite stopped: not started again by an event */
  private readonly silenced = new Set<CopyName>();

  /** A heartbeat of `copy` from its owner now (what its HeartbeatEmitter sends), through the stream. */
  heartbeat(copy: CopyName): Promise<string> {
    const beat: HeartbeatEvent = { copy, emittedAt: new Date().toISOString() };
    return this.publish(COPIES[copy].heartbeat, copy, beat);
  }

  /**
   * For suites that feed a service the events of an owner they do not start (registry, issuance):
   * heartbeats of these copies every `intervalMs`, as that owner would send them, until
   * `stopHeartbeats` or `close`. Sends one at once.
   */
  async keepFresh(copies: readonly CopyName[], intervalMs = 500): Promise<void> {
    for (const copy of copies) {
      this.silenced.delete(copy);
      if (this.beating.has(copy)) continue;
      const timer = setInterval(() => void this.heartbeat(copy).catch(() => undefined), intervalMs);
      timer.unref();
      this.beating.set(copy, timer);
      await this.heartbeat(copy);
    }
  }

  /** No more heartbeats of these copies (all when none named): the copies age from now. */
  stopHeartbeats(copies: readonly CopyName[] = [...this.beating.keys()]): void {
    for (const copy of copies) {
      clearInterval(this.beating.get(copy));
      this.beating.delete(copy);
      this.silenced.add(copy);
    }
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    for (const nc of this.connections.values()) await (await nc).drain().catch(() => undefined);
    this.connections.clear();
  }
}

/** Publishes an event as its owning service would (signed, as that service's NATS user). */
export function publishEvent(sys: { events: EventPublisher }, subject: string, aggregateId: string, payload: unknown): Promise<string> {
  return sys.events.publish(subject, aggregateId, payload);
}

/** Every durable consumer of the event stream has been given, and has acked, all the stream holds for it. */
export async function consumersCaughtUp(nc: NatsConnection): Promise<boolean> {
  const jsm = await nc.jetstreamManager();
  for await (const ci of jsm.consumers.list(EVENT_STREAM)) {
    if (ci.config.durable_name && (ci.num_pending > 0 || ci.num_ack_pending > 0)) return false;
  }
  return true;
}

/** Polls until `probe` returns a truthy value (projections fed by events are eventually consistent). */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 10000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
