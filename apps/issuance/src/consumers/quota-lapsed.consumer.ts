import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { consumerSpec, EventEnvelope, QuotaLapsedEvent, Role } from '@vc/contracts';
import { audit, Tx } from '@vc/database';
import { parseFen } from '@vc/domain';
import { EventConsumer, EventVerifier, NATS_CONNECTION } from '@vc/messaging';

const SCHEMA = 'issuance';

/**
 * R-QUOTA-2 / R-LEDGER-1: the year-end lapse runs in redemption, where the balance lives (ADR
 * 0003), and is reported back here: the enterprise-year records what lapsed, and the ledger gets a
 * quota_lapsed entry referencing the event (each event takes effect once, see EventConsumer).
 */
@Injectable()
export class QuotaLapsedConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QuotaLapsedConsumer.name);
  private readonly consumer: EventConsumer;

  constructor(ds: DataSource, @Inject(NATS_CONNECTION) nc: NatsConnection, verifier: EventVerifier) {
    this.consumer = new EventConsumer(ds, nc, {
      schema: SCHEMA,
      service: 'issuance',
      consumer: consumerSpec('issuance', 'issuance-quota-lapsed'),
      verifier,
      handle: (event, tx) => this.handle(event, tx),
    });
  }

  private async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    const lapse = event.payload as unknown as QuotaLapsedEvent;
    const amount = parseFen(lapse.amountFen);
    if (amount === null || amount <= 0n) {
      this.logger.warn(`ignored ${event.type} ${event.id}: amount ${String(lapse.amountFen)} is not a positive amount of fen`);
      return;
    }
    const recorded: unknown[] = await tx.query(
      `INSERT INTO issuance.ledger_entries (entry_type, programme_id, enterprise_id, amount_fen, ref)
       SELECT 'quota_lapsed', q.programme_id, q.enterprise_id, $3, $4
         FROM issuance.quota_years q WHERE q.enterprise_id::text = $1 AND q.programme_id = $2
       RETURNING id`,
      [lapse.enterpriseId, lapse.programmeId, amount.toString(), `event ${event.id}`],
    );
    if (recorded.length === 0) {
      this.logger.warn(`ignored ${event.type} ${event.id}: ${lapse.enterpriseId} claimed nothing in ${lapse.programmeId}`);
      return;
    }
    await tx.query(`UPDATE issuance.quota_years SET lapsed_fen = lapsed_fen + $3 WHERE enterprise_id::text = $1 AND programme_id = $2`, [
      lapse.enterpriseId,
      lapse.programmeId,
      amount.toString(),
    ]);
    await audit(tx, SCHEMA, {
      principal: { sub: `event:${event.id}`, role: Role.Service, org: 'redemption' },
      action: 'quota.lapsed',
      entityType: 'enterprise',
      entityId: lapse.enterpriseId,
      reason: `unused quota of ${lapse.year} lapsed at year end (R-QUOTA-2)`,
      data: lapse,
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.consumer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.consumer.stop();
  }
}
