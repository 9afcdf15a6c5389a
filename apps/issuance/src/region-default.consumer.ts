import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { Events, RegionDefaultEvent } from '@vc/contracts';
import { EventConsumer, NATS_CONNECTION } from '@vc/messaging';

/**
 * R-MATCH-1: settlement reports regions with overdue matching payments; their new enterprise
 * approvals are blocked until they catch up.
 */
@Injectable()
export class RegionDefaultConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private consumer: EventConsumer;

  constructor(ds: DataSource, @Inject(NATS_CONNECTION) nc: NatsConnection) {
    this.consumer = new EventConsumer(ds, nc, {
      schema: 'issuance',
      durable: 'issuance-region-default',
      subjects: [Events.regionDefaulting, Events.regionCaughtUp],
      handle: async (event, tx) => {
        const payload = event.payload as unknown as RegionDefaultEvent;
        await tx.query(`UPDATE issuance.regions SET defaulting = $2 WHERE id = $1`, [payload.regionId, event.type === Events.regionDefaulting]);
      },
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.consumer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.consumer.stop();
  }
}
