import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { EventEnvelope, Events, EVENT_SUBJECT_PREFIX, Principal, Role, SettlementClaimEvent } from '@vc/contracts';
import { audit, queryRows, Tx } from '@vc/database';
import { EventConsumer, NATS_CONNECTION } from '@vc/messaging';

/** Changes made on settlement's word are recorded with settlement as the principal (R-AUDIT-1). */
const SETTLEMENT: Principal = { sub: 'settlement', role: Role.Service, org: 'settlement' };

/** From which states each settlement decision moves a claim; anything else is a stale or repeated event. */
const TRANSITIONS: Record<string, { to: string; from: string[]; action: string }> = {
  [Events.settlementClaimApproved]: { to: 'approved', from: ['pending_review', 'returned'], action: 'claim.approved' },
  [Events.settlementClaimReturned]: { to: 'returned', from: ['pending_review', 'approved'], action: 'claim.returned' },
  [Events.settlementClaimRejected]: { to: 'rejected', from: ['pending_review', 'returned', 'approved'], action: 'claim.rejected' },
  [Events.settlementClaimPaid]: { to: 'paid', from: ['pending_review', 'returned', 'approved'], action: 'claim.paid' },
};

/**
 * Follows settlement's decisions on claims (one ordered durable consumer for voucher.events.settlement.>):
 * a rejected claim gives V back to the programme budget (SPEC 5.6 step 1; ledger budget_returned),
 * a paid claim is marked paid. Approved / returned keep the claim's status current so that an
 * approved claim is no longer amended (R-CLAIM-3).
 */
@Injectable()
export class SettlementConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SettlementConsumer');
  private consumer: EventConsumer | null = null;

  constructor(private readonly ds: DataSource, @Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.consumer) return;
    this.consumer = new EventConsumer(this.ds, this.nc, {
      schema: 'redemption',
      durable: 'redemption-settlement',
      subjects: [`${EVENT_SUBJECT_PREFIX}.settlement.>`],
      handle: (event, tx) => this.handle(event as unknown as EventEnvelope<SettlementClaimEvent>, tx),
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  async handle(event: EventEnvelope<SettlementClaimEvent>, tx: Tx): Promise<void> {
    const t = TRANSITIONS[event.type];
    if (!t) return; // run-level events are not about one claim
    const e = event.payload;
    if (typeof e?.claimId !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(e.claimId)) {
      // redelivering it would block every later settlement event
      this.logger.error({ eventId: event.id }, `ignoring ${event.type} without a claim id`);
      return;
    }
    const [claim] = await queryRows<{ id: string; order_id: string; programme_id: string; enterprise_id: string; voucher_fen: bigint; previous: string }>(
      tx,
      `WITH old AS (SELECT id, status FROM redemption.claims WHERE id = $1 FOR UPDATE)
       UPDATE redemption.claims c
          SET status = $2,
              decided_at = CASE WHEN $2 IN ('approved','rejected','returned') THEN now() ELSE c.decided_at END,
              decision_reason = CASE WHEN $2 IN ('rejected','returned') THEN $4 ELSE c.decision_reason END,
              settlement_run_id = COALESCE($5, c.settlement_run_id),
              paid_at = CASE WHEN $2 = 'paid' THEN now() ELSE c.paid_at END
         FROM old
        WHERE c.id = old.id AND old.status = ANY($3::text[])
    RETURNING c.id, c.order_id, c.programme_id, c.enterprise_id, c.voucher_fen, old.status AS previous`,
      [e.claimId, t.to, t.from, e.reason ?? null, e.runId ?? null],
    );
    if (!claim) {
      this.logger.warn({ eventId: event.id, claimId: e.claimId }, `${event.type} does not apply to the claim's current state; ignored`);
      return;
    }
    await audit(tx, 'redemption', {
      principal: SETTLEMENT,
      action: t.action,
      entityType: 'claim',
      entityId: claim.id,
      reason: e.reason ?? null,
      data: { eventId: event.id, runId: e.runId, previousStatus: claim.previous },
    });
    if (t.to === 'rejected') {
      // The claim's own V is authoritative; the event's copy is only checked.
      if (e.voucherFen !== undefined && String(e.voucherFen) !== claim.voucher_fen.toString()) {
        this.logger.warn({ eventId: event.id, claimId: claim.id }, `rejection names V = ${e.voucherFen}, the claim has ${claim.voucher_fen}; returning the claim's`);
      }
      await tx.query(`SELECT redemption.return_budget($1, $2, $3, $4, $5, now())`, [
        claim.programme_id, claim.enterprise_id, claim.order_id, claim.voucher_fen.toString(), `claim ${claim.id} rejected`,
      ]);
    }
  }
}
