import { Logger } from '@nestjs/common';
import { JetStreamClient, NatsConnection } from 'nats';
import { DataSource, QueryRunner } from 'typeorm';
import { advisoryKey } from '@vc/database';

const encoder = new TextEncoder();

export interface OutboxRelayOptions {
  schema: string;
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

  /** Called after a commit that wrote outbox rows, so the relay need not wait for its next poll. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    if (this.nudged) return Promise.resolve();
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
          this.nudged = false; // another instance relays; poll for its lock, not for rows
          await this.sleep(this.options.pollMs * 10);
          continue;
        }
        while (this.running) {
          this.nudged = false;
          const { sent, more } = await this.relayBatch(runner);
          if (!more) {
            if (sent > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(COALESCE_MS, this.options.pollMs)));
            await this.sleep(this.options.pollMs);
          }
        }
        await runner.query('SELECT pg_advisory_unlock($1)', [advisoryKey(`outbox:${this.options.schema}`)]);
      } catch (err) {
        if (this.running) this.logger.warn(`relay paused: ${(err as Error).message}`);
        // The lock is the session's: released before the connection goes back to the pool, or the next
        // try (on another connection) and every other instance would find it taken. A connection
        // that broke took the lock with it.
        await runner?.query('SELECT pg_advisory_unlock($1)', [advisoryKey(`outbox:${this.options.schema}`)]).catch(() => undefined);
        await runner?.release().catch(() => undefined);
        runner = null;
        if (this.running) await this.sleep(Math.max(this.options.pollMs, 500));
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
    // Published in order on one connection; the acks are awaited together.
    await Promise.all(rows.map((row) => this.js.publish(row.subject, encoder.encode(row.body), { msgID: row.event_id })));
    if (this.options.fault === 'crash-after-publish') process.kill(process.pid, 'SIGKILL');
    await runner.query(`UPDATE "${this.options.schema}".outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [
      rows.map((r) => r.id),
    ]);
    return { sent: rows.length, more: rows.length < rows[0].taken || rows.length === limit };
  }
}

/**
 * After a batch that emptied the outbox, the relay waits at least this long before the next one
 * even when nudged, so that under load each batch carries many rows (one SELECT, one UPDATE and
 * one flush of publishes for all of them) instead of one or two. Bounds the added event latency.
 */
const COALESCE_MS = 10;

/** About this many bytes of envelopes per batch (settlement's decision events carry a thousand claims each). */
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
