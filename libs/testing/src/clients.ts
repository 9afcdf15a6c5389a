import { connect, headers as natsHeaders, NatsConnection } from 'nats';
import { Client } from 'pg';
import { TokenService } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { EVENT_STREAM, Headers, Principal, toJson } from '@vc/contracts';
import { decodeReply, RpcReply } from '@vc/messaging';

/** Signs as the services verify with their default (development) settings: key, issuer, audience. */
const tokens = new TokenService(new AppConfig());

/** A token for a principal, signed with the development key the test services use. */
export function tokenFor(principal: Principal): string {
  return tokens.sign(principal, 3600);
}

export interface CallOptions {
  principal?: Principal;
  token?: string;
  idempotencyKey?: string;
  timeoutMs?: number;
  /** raw bytes instead of JSON (malformed-input tests) */
  raw?: string;
  /** sent as X-Correlation-Id, as a caller tracing its own request would */
  correlationId?: string;
}

/** A plain NATS client, as a provider system would use, returning the reply envelope. */
export class NatsTestClient {
  private constructor(readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<NatsTestClient> {
    return new NatsTestClient(await connect({ servers: url, name: 'test-client' }));
  }

  async call<T = any>(subject: string, body: unknown, options: CallOptions = {}): Promise<RpcReply<T>> {
    const h = natsHeaders();
    const token = options.token ?? (options.principal ? tokenFor(options.principal) : undefined);
    if (token) h.set(Headers.Authorization, `Bearer ${token}`);
    if (options.idempotencyKey) h.set(Headers.IdempotencyKey, options.idempotencyKey);
    if (options.correlationId) h.set(Headers.CorrelationId, options.correlationId);
    const payload = options.raw ?? toJson(body ?? {});
    const msg = await this.nc.request(subject, new TextEncoder().encode(payload), { timeout: options.timeoutMs ?? 15000, headers: h });
    return decodeReply<T>(msg.data);
  }

  /** Like call, but returns data and throws with the error body on refusal. */
  async ok<T = any>(subject: string, body: unknown, options: CallOptions = {}): Promise<T> {
    const reply = await this.call<T>(subject, body, options);
    if (!reply.ok) throw new Error(`${subject} refused: ${JSON.stringify(reply.error)}`);
    return reply.data;
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/**
 * Rows per table of a schema, to prove that a refused request wrote nothing. Left out by default:
 * the migrations, and processed_events, which only event consumers write; they may still be taking
 * in the events of a test's own set-up (a region created just before) while the requests run.
 */
export async function rowCounts(databaseUrl: string, schema: string, exclude: string[] = ['migrations', 'processed_events']): Promise<Record<string, number>> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const tables = await c.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [schema]);
    const counts: Record<string, number> = {};
    for (const { table_name } of tables.rows) {
      if (exclude.includes(table_name)) continue;
      const r = await c.query(`SELECT count(*)::int AS n FROM "${schema}"."${table_name}"`);
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

/** Publishes an event envelope to JetStream as another service would (tests feed upstream events). */
export async function publishEvent(nc: NatsConnection, subject: string, aggregateId: string, payload: unknown): Promise<string> {
  const { randomUUID } = await import('node:crypto');
  const id = randomUUID();
  const envelope = { id, type: subject, aggregateType: subject.split('.')[2], aggregateId, occurredAt: new Date().toISOString(), payload };
  await nc.jetstream().publish(subject, new TextEncoder().encode(toJson(envelope)), { msgID: id });
  return id;
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
