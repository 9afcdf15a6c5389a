import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { consumerSpec, EventEnvelope, Events, RegionDefaultEvent, Role } from '@vc/contracts';
import { audit, Tx } from '@vc/database';
import { EventConsumer, EventVerifier, NATS_CONNECTION } from '@vc/messaging';

const SCHEMA = 'issuance';

/**
 * R-MATCH-1 / R-ENT-1: settlement reports a region as defaulting on its matching payments, and
 * later as caught up; while defaulting, the region's new enterprise approvals are refused.
 * One consumer over voucher.events.region.* keeps the two in stream order; the flag also records
 * the instant of the event that set it, so a redelivered older event never undoes a newer one.
 */
@Injectable()
export class RegionDefaultConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RegionDefaultConsumer.name);
  private readonly consumer: EventConsumer;

  constructor(ds: DataSource, @Inject(NATS_CONNECTION) nc: NatsConnection, verifier: EventVerifier) {
    this.consumer = new EventConsumer(ds, nc, {
      schema: SCHEMA,
      service: 'issuance',
      consumer: consumerSpec('issuance', 'issuance-region-default'),
      verifier,
      handle: (event, tx) => this.handle(event, tx),
    });
  }

  private async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    if (event.type !== Events.regionDefaulting && event.type !== Events.regionCaughtUp) return; // issuance's own region events
    const payload = event.payload as unknown as RegionDefaultEvent;
    const defaulting = event.type === Events.regionDefaulting;
    const changed: unknown[] = await tx.query(
      `UPDATE issuance.regions SET defaulting = $2, defaulting_changed_at = $3
        WHERE id::text = $1 AND (defaulting_changed_at IS NULL OR defaulting_changed_at <= $3) RETURNING id`,
      [payload.regionId, defaulting, event.occurredAt],
    );
    if (changed.length === 0) {
      this.logger.warn(`ignored ${event.type} ${event.id}: unknown region ${payload.regionId} or a newer report already applied`);
      return;
    }
    await audit(tx, SCHEMA, {
      principal: { sub: `event:${event.id}`, role: Role.Service, org: 'settlement' },
      action: defaulting ? 'region.defaulting' : 'region.caught-up',
      entityType: 'region',
      entityId: payload.regionId,
      reason: defaulting ? `${payload.overdueCount} overdue matching payment(s), ${payload.overdueFen} fen` : 'matching payments caught up',
      data: payload,
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.consumer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.consumer.stop();
  }
}
