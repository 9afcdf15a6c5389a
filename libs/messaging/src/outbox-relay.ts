import { Logger } from '@nestjs/common';
import { JetStreamClient, NatsConnection } from 'nats';
import { DataSource, QueryRunner } from 'typeorm';
import { EVENT_CATALOG, EventType, heartbeatCopy } from '@vc/contracts';
import { advisoryKey } from '@vc/database';
import { EventSigner } from './event-signing';

const encoder = new TextEncoder();

export interface OutboxRelayOptions {
  schema: string;
  /** signs every event with the service's own key (consumers apply only events signed by their owner) */
  signer: EventSigner;
  pollMs: number;
  batchSize?: number;
  /** test-only fault injection (see AppConfig.FAULT_INJECTION) */
  fault?: 'none' | 'outbox-hold' | 'crash-after-publish';
}

/**
 * Publishes outbox rows to JetStream in id order. One instance per schema holds an advisory lock
 * and relays; the others wait and take over if it dies. The event id is the Nats-Msg-Id, so a row
 * re-published after a crash between publish and mark is dropped by the stream's duplicate window.
 * A batch's publishes are pipelined: when one fails, those after it may be stored already and the
 * retry stores it after them. Consumers therefore never rely on the order of events (they are
 * shared by replicas anyway): effects are idempotent, and state-carrying events carry a version.
 */
export class OutboxRelay {
  private readonly logger: Logger;
  private running = false;
  private wake: (() => void) | null = null;
  /** a commit wrote rows since the last batch began: the next sleep returns at once */
  private nudged = false;
  /** set while PostgreSQL or NATS fails the relay: since when, how many tries, the first error */
  private failing: { since: number; tries: number } | null = null;
  private loop: Promise<void> | null = null;
  private js: JetStreamClient;

  constructor(private readonly ds: DataSource, private readonly nc: NatsConnection, private readonly options: OutboxRelayOptions) {
    this.logger = new Logger(`OutboxRelay:${options.schema}`);
    this.js = nc.jetstream();
  }

  start(): void {
    if (this.running || this.options.fault === 'outbox-hold') return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Called after a commit that wrote outbox rows, so the relay need not wait for its next poll.
   * While the relay is failing, a nudge does not cut its back-off short: callers nudge after
   * failures too, and a relay retrying at their pace would hammer a server that is down.
   */
  nudge(): void {
    this.nudged = true;
    if (!this.failing) this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** whether the relay is backing off after a failure (for health and tests) */
  get paused(): boolean {
    return this.failing !== null;
  }

  private sleep(ms: number): Promise<void> {
    if (!this.running || (this.nudged && !this.failing)) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** The relay works again: said once, with how long it was paused. */
  private recovered(): void {
    if (!this.failing) return;
    const { since, tries } = this.failing;
    this.failing = null;
    this.logger.log(`relay resumed after ${((Date.now() - since) / 1000).toFixed(1)} s (${tries} failed ${tries === 1 ? 'try' : 'tries'})`);
  }

  private async run(): Promise<void> {
    let runner: QueryRunner | null = null;
    while (this.running) {
      try {
        if (!runner) {
          runner = this.ds.createQueryRunner();
          await runner.connect();
        }
        const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [advisoryKey(`outbox:${this.options.schema}`)]);
        if (!locked) {
          this.recovered();
          this.nudged = false; // another instance relays; poll for its lock, not for rows
          await this.sleep(this.options.pollMs * 10);
          continue;
        }
        while (this.running) {
          this.nudged = false;
          const { sent, more } = await this.relayBatch(runner);
          this.recovered();
          if (!more) {
            if (sent > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(COALESCE_MS, this.options.pollMs)));
            await this.sleep(this.options.pollMs);
          }
        }
        await runner.query('SELECT pg_advisory_unlock($1)', [advisoryKey(`outbox:${this.options.schema}`)]);
      } catch (err) {
        // A state change is logged once (here, and in recovered()), not every try: a relay
        // retrying against a server that is down would otherwise fill the log.
        if (this.running && !this.failing) this.logger.warn(`relay paused: ${(err as Error).message}; retrying with back-off`);
        this.failing ??= { since: Date.now(), tries: 0 };
        this.failing.tries++;
        // The lock is the session's: released before the connection goes back to the pool, or the next
        // try (on another connection) and every other instance would find it taken. A connection
        // that broke took the lock with it.
        await runner?.query('SELECT pg_advisory_unlock($1)', [advisoryKey(`outbox:${this.options.schema}`)]).catch(() => undefined);
        await runner?.release().catch(() => undefined);
        runner = null;
        this.nudged = false;
        await this.sleep(backoffMs(this.failing.tries, this.options.pollMs));
      }
    }
    await runner?.release().catch(() => undefined);
  }

  /**
   * Publishes the oldest unpublished rows: up to batchSize rows and about MAX_BATCH_BYTES of
   * envelopes (always at least one row), sent as stored (jsonb text, never parsed here). Returns
   * how many were published and whether more may be waiting.
   */
  async relayBatch(runner: QueryRunner): Promise<{ sent: number; more: boolean }> {
    const limit = this.options.batchSize ?? 500;
    const rows: Array<{ id: string; event_id: string; subject: string; body: string; taken: number }> = await runner.query(
      `SELECT id::text, event_id, subject, envelope::text AS body, taken::int FROM (
         SELECT id, event_id, subject, envelope, count(*) OVER () AS taken,
                sum(pg_column_size(envelope)) OVER (ORDER BY id) - pg_column_size(envelope) AS bytes_before
           FROM (SELECT id, event_id, subject, envelope FROM "${this.options.schema}".outbox WHERE published_at IS NULL ORDER BY id LIMIT $1) head
       ) o
       WHERE bytes_before < $2 ORDER BY id`,
      [limit, MAX_BATCH_BYTES],
    );
    if (rows.length === 0) return { sent: 0, more: false };
    const signer = this.options.signer;
    // Published in order on one connection; the acks are awaited together. A row of a type this
    // service does not own is never signed: every consumer would refuse it, and the signature must
    // speak for this service's own events only.
    await Promise.all(
      rows.map((row) => {
        if (EVENT_CATALOG[row.subject as EventType]?.owner !== signer.service) {
          this.logger.error(`outbox row ${row.id} (${row.subject}) is not an event ${signer.service} owns; not published`);
          return undefined;
        }
        const data = encoder.encode(row.body);
        return this.js.publish(row.subject, data, { msgID: row.event_id, headers: signer.headers(row.subject, data) });
      }),
    );
    // The service's own heartbeats (sent at start) do not count: the fault is about a business event.
    if (this.options.fault === 'crash-after-publish' && rows.some((r) => !heartbeatCopy(r.subject))) process.kill(process.pid, 'SIGKILL');
    await runner.query(`UPDATE "${this.options.schema}".outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [
      rows.map((r) => r.id),
    ]);
    return { sent: rows.length, more: rows.length < rows[0].taken || rows.length === limit };
  }
}

/**
 * The wait before the n-th retry after a failure: doubling from the poll interval (at least 100 ms)
 * up to BACKOFF_MAX_MS, each wait drawn at random from its upper half ("jitter"), so that the
 * relays of many instances do not retry in step against a server coming back.
 */
export function backoffMs(tries: number, pollMs: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, Math.max(100, pollMs) * 2 ** Math.min(tries - 1, 16));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** The longest wait between two tries of a failing relay: the event delay after an outage it adds at most. */
const BACKOFF_MAX_MS = 3000;

/**
 * After a batch that emptied the outbox, the relay waits at least this long before the next one
 * even when nudged, so that under load each batch carries many rows (one SELECT, one UPDATE and
 * one flush of publishes for all of them) instead of one or two. Bounds the added event latency.
 */
const COALESCE_MS = 10;

/** About this many bytes of envelopes per batch (settlement's decision events carry a thousand claims each). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
