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
 * A durable JetStream consumer whose effect is exactly-once: the event id is recorded in
 * processed_events in the same transaction as the effect, so a redelivery does nothing twice.
 * Instances of one service share the durable consumer and split the work.
 */
export class EventConsumer {
  private readonly logger: Logger;
  private messages: ConsumerMessages | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly ds: DataSource, private readonly nc: NatsConnection, private readonly options: EventConsumerOptions) {
    this.logger = new Logger(`EventConsumer:${options.durable}`);
  }

  async start(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    await jsm.consumers
      .add(EVENT_STREAM, {
        durable_name: this.options.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subjects: this.options.subjects,
        ack_wait: 30 * 1_000_000_000,
        max_ack_pending: 1000,
      })
      .catch(async (err) => {
        await jsm.consumers.info(EVENT_STREAM, this.options.durable).catch(() => {
          throw err;
        });
      });
    const consumer: Consumer = await this.nc.jetstream().consumers.get(EVENT_STREAM, this.options.durable);
    this.loop = this.consume(consumer);
  }

  private async consume(consumer: Consumer): Promise<void> {
    while (!this.stopped) {
      try {
        this.messages = await consumer.consume({ max_messages: 256 });
        for await (const msg of this.messages) {
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
      this.logger.error(`event ${event.id} (${event.type}) failed: ${(err as Error).message}; will be redelivered`);
      msg.nak(1000);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    await this.loop?.catch(() => undefined);
  }
}
