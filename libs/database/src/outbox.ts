import { randomUUID } from 'node:crypto';
import { EventEnvelope, toWire } from '@vc/contracts';
import { currentCorrelationId } from '@vc/logging';
import { Tx } from './data-source';

export interface NewEvent<T> {
  subject: string;
  aggregateType: string;
  aggregateId: string;
  payload: T;
}

/** Writes events in the business transaction; the relay publishes them to JetStream later. */
export async function addToOutbox<T>(tx: Tx, schema: string, event: NewEvent<T>): Promise<EventEnvelope> {
  const envelope: EventEnvelope = {
    id: randomUUID(),
    type: event.subject,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    occurredAt: new Date().toISOString(),
    correlationId: currentCorrelationId(),
    payload: toWire(event.payload) as Record<string, unknown>,
  };
  await tx.query(
    `INSERT INTO "${schema}".outbox (event_id, subject, aggregate_type, aggregate_id, envelope) VALUES ($1, $2, $3, $4, $5)`,
    [envelope.id, event.subject, event.aggregateType, event.aggregateId, JSON.stringify(envelope)],
  );
  return envelope;
}
