import { Logger } from '@nestjs/common';
import { AckPolicy, Consumer, ConsumerMessages, DeliverPolicy, JsMsg, NatsConnection } from 'nats';
import { Counter, register } from 'prom-client';
import { DataSource } from 'typeorm';
import { ConsumerSpec, durableName, EVENT_CATALOG, EVENT_STREAM, EventEnvelope, EventType, GUARDED_COPIES, heartbeatCopy, HeartbeatEvent, isUuid, ServiceName, validatePayload } from '@vc/contracts';
import { Tx } from '@vc/database';
import { EventVerifier, QuarantineReason, SignatureHeaders } from './event-signing';

export interface EventConsumerOptions {
  schema: string;
  /** the service that consumes (its own durables, declared in libs/contracts EVENT_CONSUMERS) */
  service: ServiceName;
  /** the consumer group: its name and subjects; each subject gets a durable shared by every instance */
  consumer: ConsumerSpec;
  verifier: EventVerifier;
  /** the event, its payload validated against the catalog's class (only the declared fields) */
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

/** What is kept of a quarantined message's body: enough to see what it was, bounded. */
const QUARANTINE_BODY_CHARS = 65_536;

function quarantineCounter(): Counter<'consumer' | 'reason'> {
  const name = 'voucher_events_quarantined_total';
  return (
    (register.getSingleMetric(name) as Counter<'consumer' | 'reason'> | undefined) ??
    new Counter({ name, help: 'Events received and not applied (unsigned, signed by a key not trusted or not the owner\u2019s, malformed, replayed), by consumer and reason', labelNames: ['consumer', 'reason'] })
  );
}

interface Refusal {
  reason: QuarantineReason;
  detail: string;
  eventId?: string;
  eventType?: string;
  signer?: string;
  kid?: string;
}

/**
 * A durable JetStream consumer that applies only events it can believe, exactly once.
 *
 * Before anything is applied: the signature must verify with a trusted key of the service that
 * signed it, that service must own the event type (libs/contracts EVENT_CATALOG), the envelope's
 * type must be the subject it arrived on, and the payload must validate against its class. An
 * event that fails any of these is not applied: it is recorded in `<schema>.quarantined_events`
 * with the reason (operators and auditors list them), counted in
 * `voucher_events_quarantined_total`, and not delivered again.
 *
 * Exactly once: the event id is recorded in processed_events with the stream sequence in the same
 * transaction as the effect, so a redelivery does nothing twice; the same event arriving again as
 * another stream message (a replay, or a re-publish after a long outage) is quarantined as replayed.
 * Instances of one service share the durable consumer and split the work.
 */
export class EventConsumer {
  private readonly logger: Logger;
  private readonly messages: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  private readonly quarantined = quarantineCounter();
  private stopped = false;

  constructor(private readonly ds: DataSource, private readonly nc: NatsConnection, private readonly options: EventConsumerOptions) {
    this.logger = new Logger(`EventConsumer:${options.consumer.durable}`);
  }

  /**
   * One durable consumer per subject (nats-server 2.9 filters on one subject per consumer); a
   * handler that needs an event of another subject first fails and the event is redelivered.
   */
  async start(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    for (const subject of this.options.consumer.subjects) {
      const durable = durableName(this.options.consumer.durable, subject);
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

  /** The event if it can be believed, or why not. */
  private admit(msg: JsMsg): { event: EventEnvelope } | Refusal {
    const signature = this.options.verifier.check(msg.subject, msg.data, msg.headers);
    let envelope: EventEnvelope | null = null;
    try {
      envelope = JSON.parse(decoder.decode(msg.data)) as EventEnvelope;
    } catch {
      envelope = null;
    }
    const eventId = typeof envelope?.id === 'string' ? envelope.id : undefined;
    const eventType = typeof envelope?.type === 'string' ? envelope.type : undefined;
    if (!signature.ok) return { reason: signature.reason, detail: signature.detail, eventId, eventType, signer: signature.signer, kid: signature.kid };
    const who = { eventId, eventType, signer: signature.signer, kid: signature.kid };
    if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope) || !isUuid(envelope.id) || typeof envelope.type !== 'string') {
      return { reason: 'not_an_envelope', detail: 'the message is not an event envelope (an object with a uuid id and a type)', ...who };
    }
    if (envelope.type !== msg.subject) return { reason: 'subject_mismatch', detail: `an event of type ${envelope.type} arrived on ${msg.subject}`, ...who };
    const definition = EVENT_CATALOG[envelope.type as EventType];
    if (!definition) return { reason: 'unknown_type', detail: `${envelope.type} is not an event type of this system`, ...who };
    if (definition.owner !== signature.signer) {
      return { reason: 'wrong_owner', detail: `${envelope.type} is ${definition.owner}\u2019s to emit, not ${signature.signer}\u2019s`, ...who };
    }
    const payload = validatePayload(definition.payload, envelope.payload);
    if (!payload.ok) return { reason: 'invalid_payload', detail: payload.reason, ...who };
    return { event: { ...envelope, payload: payload.value as Record<string, unknown> } };
  }

  private async process(msg: JsMsg): Promise<void> {
    const admitted = this.admit(msg);
    if (!('event' in admitted)) return this.quarantine(msg, admitted);
    const event = admitted.event;
    const seq = msg.seq;
    const copy = heartbeatCopy(event.type);
    if (copy) return this.heartbeat(msg, copy, event.payload as unknown as HeartbeatEvent);
    try {
      const replayOf = await this.ds.transaction(async (tx) => {
        const fresh: unknown[] = await tx.query(
          `INSERT INTO "${this.options.schema}".processed_events (consumer, event_id, stream_seq) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
          [this.options.consumer.durable, event.id, seq],
        );
        if (fresh.length > 0) {
          await this.options.handle(event, tx);
          return null;
        }
        // Applied before: the same stream message redelivered (an ack lost in a crash) is nothing new;
        // the same event as another stream message is a copy, applied once already.
        const [first] = await tx.query(`SELECT stream_seq FROM "${this.options.schema}".processed_events WHERE consumer = $1 AND event_id = $2`, [
          this.options.consumer.durable,
          event.id,
        ]);
        const firstSeq = first?.stream_seq === null || first?.stream_seq === undefined ? null : Number(first.stream_seq);
        return firstSeq !== null && firstSeq !== seq ? firstSeq : null;
      });
      if (replayOf !== null) {
        return this.quarantine(msg, {
          reason: 'replayed',
          detail: `event ${event.id} was applied from stream message ${replayOf}; this copy (message ${seq}) is not applied again`,
          eventId: event.id,
          eventType: event.type,
          signer: msg.headers?.get(SignatureHeaders.signer),
          kid: msg.headers?.get(SignatureHeaders.keyId),
        });
      }
      msg.ack();
    } catch (err) {
      // Redelivered after 1 s, then 2, 4 … up to a minute: a handler waiting for another event retries
      // soon, one that keeps failing does not spin.
      const delay = Math.min(60_000, 1000 * 2 ** Math.min(6, Math.max(0, (msg.info?.redeliveryCount ?? 1) - 1)));
      this.logger.error(`event ${event.id} (${event.type}) failed: ${(err as Error).message}; will be redelivered in ${delay / 1000} s`);
      msg.nak(delay);
    }
  }

  /**
   * A heartbeat of a copy this service guards: kept with its stream sequence, so that the copy counts
   * as fresh as of its instant once every event before it is applied (CopyFreshness, libs/platform).
   * Not an effect: recorded at most once per message, without an entry in processed_events. An
   * instant ahead of this clock counts as now, so no heartbeat vouches for the future.
   */
  private async heartbeat(msg: JsMsg, copy: string, beat: HeartbeatEvent): Promise<void> {
    const guarded = GUARDED_COPIES[this.options.service].some((g) => g.copy === copy);
    try {
      if (guarded) {
        await this.ds.query(
          `INSERT INTO "${this.options.schema}".copy_heartbeats (copy, stream_seq, emitted_at) VALUES ($1, $2, LEAST($3::timestamptz, now()))
           ON CONFLICT DO NOTHING`,
          [copy, msg.seq, beat.emittedAt],
        );
      }
      msg.ack();
    } catch (err) {
      this.logger.error(`heartbeat of ${copy} (message ${msg.seq}) not recorded: ${(err as Error).message}; will be redelivered`);
      msg.nak(1000);
    }
  }

  /** Records a message that is not applied, and does not take it again. */
  private async quarantine(msg: JsMsg, refusal: Refusal): Promise<void> {
    const text = decoder.decode(msg.data);
    const headers: Record<string, string> = {};
    for (const [k, v] of msg.headers ?? []) headers[k] = v.join(', ');
    try {
      await this.ds.query(
        `INSERT INTO "${this.options.schema}".quarantined_events
           (consumer, subject, stream_seq, reason, detail, event_id, event_type, signer, key_id, headers, body, body_bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          this.options.consumer.durable,
          msg.subject,
          msg.seq,
          refusal.reason,
          refusal.detail,
          refusal.eventId?.slice(0, 200) ?? null,
          refusal.eventType?.slice(0, 200) ?? null,
          refusal.signer?.slice(0, 200) ?? null,
          refusal.kid?.slice(0, 200) ?? null,
          JSON.stringify(headers),
          // text columns hold no NUL; the body is kept as received otherwise
          text.slice(0, QUARANTINE_BODY_CHARS).replace(/\u0000/g, '\uFFFD'),
          msg.data.length,
        ],
      );
    } catch (err) {
      this.logger.error(`could not record a quarantined event on ${msg.subject}: ${(err as Error).message}; will retry`);
      msg.nak(5000);
      return;
    }
    this.quarantined.inc({ consumer: this.options.consumer.durable, reason: refusal.reason });
    this.logger.error({ subject: msg.subject, reason: refusal.reason, eventId: refusal.eventId, signer: refusal.signer }, `event not applied (quarantined): ${refusal.detail}`);
    msg.term();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const m of this.messages) m.stop();
    await Promise.all(this.loops.map((l) => l.catch(() => undefined)));
  }
}
