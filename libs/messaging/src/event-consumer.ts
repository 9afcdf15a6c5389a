import { Logger } from '@nestjs/common';
import { AckPolicy, Consumer, ConsumerMessages, DeliverPolicy, JsMsg, NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { EVENT_STREAM, EventEnvelope } from '@vc/contracts';
import { Tx } from '@vc/database';

export interface EventConsumerOptions {
  schema: string;
  /** durable consumer name, shared by every instance of the service */
  durable: string;
  subjects: string[];
  handle: (event: EventEnvelope, tx: Tx) => Promise<void>;
}

const decoder = new TextDecoder();

/**
 * How long each pull request lives. The client derives the idle heartbeat from it (half of it)
 * and, when a restarted nats-server has lost the pull, re-pulls only after two heartbeats are
 * missed — after about this long. With the client's default of 30 s a consumer could sit idle for
 * 30 s after a NATS restart (measured: about 1 restart in 5 loses the pull); at 5 s it resumes
 * within about 5 s, for one idle pull every 5 s and a heartbeat every 2.5 s per consumer.
 */
const PULL_EXPIRES_MS = 5000;

/**
 * A durable JetStream consumer whose effect is exactly-once: the event id is recorded in
 * processed_events in the same transaction as the effect, so a redelivery does nothing twice.
 * Instances of one service share the durable consumer and split the work.
 */
export class EventConsumer {
  private readonly logger: Logger;
  private readonly messages: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  private stopped = false;

  constructor(private readonly ds: DataSource, private readonly nc: NatsConnection, private readonly options: EventConsumerOptions) {
    this.logger = new Logger(`EventConsumer:${options.durable}`);
  }

  /**
   * One durable consumer per subject (nats-server 2.9 filters on one subject per consumer); a
   * handler that needs an event of another subject first fails and the event is redelivered.
   */
  async start(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    for (const subject of this.options.subjects) {
      // Wildcard subjects (one ordered consumer for an entity's events) need a valid durable name.
      const durable = `${this.options.durable}--${subject.split('.').slice(2).join('-').replace(/>/g, 'all').replace(/\*/g, 'any')}`;
      await jsm.consumers
        .add(EVENT_STREAM, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          filter_subject: subject,
          ack_wait: 30 * 1_000_000_000,
          max_ack_pending: 1000,
        })
        .catch(async (err) => {
          await jsm.consumers.info(EVENT_STREAM, durable).catch(() => {
            throw err;
          });
        });
      const consumer: Consumer = await this.nc.jetstream().consumers.get(EVENT_STREAM, durable);
      this.loops.push(this.consume(consumer));
    }
  }

  private async consume(consumer: Consumer): Promise<void> {
    while (!this.stopped) {
      try {
        const messages = await consumer.consume({ max_messages: 256, expires: PULL_EXPIRES_MS });
        this.messages.push(messages);
        for await (const msg of messages) {
          await this.process(msg);
          if (this.stopped) break;
        }
      } catch (err) {
        if (!this.stopped) {
          this.logger.warn(`consumer interrupted: ${(err as Error).message}; resuming`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
  }

  private async process(msg: JsMsg): Promise<void> {
    let event: EventEnvelope;
    try {
      event = JSON.parse(decoder.decode(msg.data)) as EventEnvelope;
    } catch {
      this.logger.error(`dropping undecodable message on ${msg.subject}`);
      msg.term();
      return;
    }
    // Not an envelope (no object, no id): it can never be applied, and redelivering it would only
    // come back. Dropped, as undecodable JSON is.
    if (typeof event !== 'object' || event === null || typeof event.id !== 'string' || !event.id || typeof event.type !== 'string') {
      this.logger.error(`dropping a message on ${msg.subject} that is not an event envelope`);
      msg.term();
      return;
    }
    try {
      await this.ds.transaction(async (tx) => {
        const fresh: unknown[] = await tx.query(
          `INSERT INTO "${this.options.schema}".processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
          [this.options.durable, event.id],
        );
        if (fresh.length > 0) await this.options.handle(event, tx);
      });
      msg.ack();
    } catch (err) {
      // Redelivered after 1 s, then 2, 4 … up to a minute: a handler waiting for another event retries
      // soon, one that keeps failing does not spin.
      const delay = Math.min(60_000, 1000 * 2 ** Math.min(6, Math.max(0, (msg.info?.redeliveryCount ?? 1) - 1)));
      this.logger.error(`event ${event.id} (${event.type}) failed: ${(err as Error).message}; will be redelivered in ${delay / 1000} s`);
      msg.nak(delay);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const m of this.messages) m.stop();
    await Promise.all(this.loops.map((l) => l.catch(() => undefined)));
  }
}
