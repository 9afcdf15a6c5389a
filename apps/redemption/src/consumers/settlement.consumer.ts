import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { consumerSpec, EventEnvelope, Events, isUuid, Principal, Role, SettlementAmendmentEvent, SettlementClaimsEvent } from '@vc/contracts';
import { queryRows, Tx } from '@vc/database';
import { currentCorrelationId } from '@vc/logging';
import { EventConsumer, EventVerifier, NATS_CONNECTION } from '@vc/messaging';

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
 * Follows settlement's decisions on claims (one durable consumer for voucher.events.settlement.>,
 * shared by the replicas; each event carries up to a thousand claims of one run and one decision,
 * applied set-wise, and only over an older decision of the same claim):
 * a rejected claim gives V back to the programme budget (SPEC 5.6 step 1; ledger budget_returned),
 * a paid claim is marked paid. Approved / returned keep the claim's status current so that an
 * approved claim is no longer amended (R-CLAIM-3).
 */
@Injectable()
export class SettlementConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SettlementConsumer');
  private consumer: EventConsumer | null = null;

  constructor(private readonly ds: DataSource, @Inject(NATS_CONNECTION) private readonly nc: NatsConnection, private readonly verifier: EventVerifier) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.consumer) return;
    this.consumer = new EventConsumer(this.ds, this.nc, {
      schema: 'redemption',
      service: 'redemption',
      consumer: consumerSpec('redemption', 'redemption-settlement'),
      verifier: this.verifier,
      handle: (event, tx) => this.handle(event as unknown as EventEnvelope<SettlementClaimsEvent>, tx),
    });
    await this.consumer.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
  }

  /**
   * R-CLAIM-3: settlement's answer to a proposed amendment. Accepted: the claim takes the proposed
   * evidence (and the invoice it proposed becomes the one it holds; the old one is free again).
   * Refused: the claim keeps its evidence and shows why; the invoice it proposed is free again.
   * An answer to another revision than the one proposed (late, repeated) changes nothing.
   */
  private async amendmentAnswered(event: EventEnvelope<SettlementAmendmentEvent>, tx: Tx): Promise<void> {
    const { claimId, revision, reason } = event.payload;
    const accepted = event.type === Events.settlementAmendmentAccepted;
    const [claim] = await queryRows<{ id: string; invoice_key: string; proposed: Record<string, string> | null; status: string }>(
      tx,
      `SELECT id, invoice_key, proposed_amendment AS proposed, status FROM redemption.claims
        WHERE id = $1 AND amendment_status = 'proposed' AND amendment_revision = $2 FOR UPDATE`,
      [claimId, revision],
    );
    if (!claim || !claim.proposed) {
      this.logger.warn({ eventId: event.id }, `${event.type} for claim ${claimId} revision ${revision}: no such amendment awaits an answer; ignored`);
      return;
    }
    const p = claim.proposed;
    const proposedKey = p.invoiceKey ?? claim.invoice_key;
    const at = typeof event.occurredAt === 'string' ? event.occurredAt : new Date().toISOString();
    if (accepted) {
      await tx.query(
        `UPDATE redemption.claims SET
           contract_ref = COALESCE($2, contract_ref), invoice_number = COALESCE($3, invoice_number),
           invoice_code = CASE WHEN $3::text IS NULL THEN invoice_code ELSE $4 END, invoice_key = $5,
           invoice_amount_fen = COALESCE($6::bigint, invoice_amount_fen), bank_transfer_ref = COALESCE($7, bank_transfer_ref),
           bank_amount_fen = COALESCE($8::bigint, bank_amount_fen), revision = $9,
           status = CASE WHEN status = 'returned' THEN 'pending_review' ELSE status END,
           amendment_status = 'accepted', amendment_decided_at = $10
         WHERE id = $1`,
        [claimId, p.contractRef ?? null, p.invoiceNumber ?? null, p.invoiceCode ?? null, proposedKey, p.invoiceAmountFen ?? null, p.bankTransferRef ?? null,
          p.bankAmountFen ?? null, revision, at],
      );
      if (proposedKey !== claim.invoice_key) {
        await tx.query(`DELETE FROM redemption.invoice_keys WHERE invoice_key = $1 AND claim_id = $2`, [claim.invoice_key, claimId]);
        await tx.query(`UPDATE redemption.invoice_keys SET holds = 'current' WHERE invoice_key = $1 AND claim_id = $2`, [proposedKey, claimId]);
      }
    } else {
      await tx.query(`UPDATE redemption.claims SET amendment_status = 'refused', amendment_reason = $2, amendment_decided_at = $3 WHERE id = $1`, [
        claimId,
        reason ?? null,
        at,
      ]);
      if (proposedKey !== claim.invoice_key) await tx.query(`DELETE FROM redemption.invoice_keys WHERE invoice_key = $1 AND claim_id = $2 AND holds = 'proposed'`, [proposedKey, claimId]);
    }
    await tx.query(
      `INSERT INTO redemption.audit_log (principal_sub, principal_role, principal_org, action, entity_type, entity_id, reason, data, correlation_id)
       VALUES ($1, $2, $3, $4, 'claim', $5, $6, $7, $8)`,
      [
        SETTLEMENT.sub,
        SETTLEMENT.role,
        SETTLEMENT.org,
        accepted ? 'claim.amendment-accepted' : 'claim.amendment-refused',
        claimId,
        reason ?? null,
        JSON.stringify({ eventId: event.id, revision, state: event.payload.state }),
        currentCorrelationId() ?? event.correlationId ?? null,
      ],
    );
  }

  async handle(event: EventEnvelope<SettlementClaimsEvent>, tx: Tx): Promise<void> {
    if (event.type === Events.settlementAmendmentAccepted || event.type === Events.settlementAmendmentRefused) {
      return this.amendmentAnswered(event as unknown as EventEnvelope<SettlementAmendmentEvent>, tx);
    }
    const t = TRANSITIONS[event.type];
    if (!t) return; // run-level events are not about claims
    const p = event.payload;
    const ids: unknown[] = Array.isArray(p?.claimIds) ? p.claimIds : [];
    const claims: Array<{ claimId: string; voucherFen: unknown; reason: string | null }> = [];
    ids.forEach((id, i) => {
      if (!isUuid(id)) return;
      const reason = Array.isArray(p.reasons) ? p.reasons[i] : null;
      claims.push({ claimId: id, voucherFen: Array.isArray(p.voucherFen) ? p.voucherFen[i] : undefined, reason: typeof reason === 'string' ? reason : null });
    });
    if (claims.length !== ids.length) {
      // redelivering it would block every later settlement event
      this.logger.error({ eventId: event.id }, `${event.type}: ignoring ${ids.length - claims.length} of ${ids.length} claims without a claim id`);
    }
    if (claims.length === 0) return;
    const runId = typeof p.runId === 'string' ? p.runId : null;
    // When settlement decided (its event's time): a decision older than the last one applied to a
    // claim, delivered late (another replica, a redelivery), changes nothing (migration 1764000000205).
    const decidedAt = typeof event.occurredAt === 'string' && !Number.isNaN(Date.parse(event.occurredAt)) ? event.occurredAt : null;
    // Set-wise: one statement moves every claim of the event that is in a state the decision
    // applies to, and writes one audit record per claim moved (R-AUDIT-1).
    const changed = await queryRows<{ id: string; order_id: string; programme_id: string; enterprise_id: string; voucher_fen: bigint; reason: string | null }>(
      tx,
      `WITH ev AS (SELECT DISTINCT ON (claim_id) claim_id, reason FROM unnest($1::uuid[], $2::text[]) AS e(claim_id, reason) ORDER BY claim_id),
       old AS (SELECT c.id, c.status FROM redemption.claims c JOIN ev ON ev.claim_id = c.id ORDER BY c.id FOR UPDATE OF c),
       changed AS (
         UPDATE redemption.claims c
            SET status = $3,
                decided_at = CASE WHEN $3 IN ('approved','rejected','returned') THEN now() ELSE c.decided_at END,
                decision_reason = CASE WHEN $3 IN ('rejected','returned') THEN ev.reason ELSE c.decision_reason END,
                settlement_run_id = COALESCE($5::text, c.settlement_run_id),
                paid_at = CASE WHEN $3 = 'paid' THEN now() ELSE c.paid_at END,
                settlement_decided_at = COALESCE($12::timestamptz, c.settlement_decided_at)
           FROM old JOIN ev ON ev.claim_id = old.id
          WHERE c.id = old.id AND old.status = ANY($4::text[])
            AND ($12::timestamptz IS NULL OR c.settlement_decided_at IS NULL OR c.settlement_decided_at < $12::timestamptz)
      RETURNING c.id, c.order_id, c.programme_id, c.enterprise_id, c.voucher_fen, old.status AS previous, ev.reason),
       audited AS (
         INSERT INTO redemption.audit_log (principal_sub, principal_role, principal_org, action, entity_type, entity_id, reason, data, correlation_id)
         SELECT $6, $7, $8, $9, 'claim', ch.id::text, ch.reason,
                jsonb_build_object('eventId', $10::text, 'runId', $5::text, 'previousStatus', ch.previous), $11
           FROM changed ch)
       SELECT id, order_id, programme_id, enterprise_id, voucher_fen, reason FROM changed ORDER BY id`,
      [
        claims.map((c) => c.claimId),
        claims.map((c) => c.reason),
        t.to,
        t.from,
        runId,
        SETTLEMENT.sub,
        SETTLEMENT.role,
        SETTLEMENT.org,
        t.action,
        event.id,
        currentCorrelationId() ?? event.correlationId ?? null,
        decidedAt,
      ],
    );
    if (changed.length < claims.length) {
      this.logger.warn({ eventId: event.id }, `${event.type}: ${claims.length - changed.length} of ${claims.length} claims are not in a state it applies to; ignored`);
    }
    if (t.to !== 'rejected' || changed.length === 0) return;
    // A rejected claim's V goes back to its order's budget shard. The claim's own V is
    // authoritative; the event's copy is only checked. Shard order, as everywhere (no deadlocks).
    const named = new Map(claims.map((c) => [c.claimId, c.voucherFen]));
    for (const c of changed) {
      const said = named.get(c.id);
      if (said !== undefined && String(said) !== c.voucher_fen.toString()) {
        this.logger.warn({ eventId: event.id, claimId: c.id }, `rejection names V = ${said}, the claim has ${c.voucher_fen}; returning the claim's`);
      }
    }
    await tx.query(
      `SELECT redemption.return_budget(x.programme_id, x.enterprise_id, x.order_id, x.voucher_fen, 'claim ' || x.claim_id || ' rejected', now())
         FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::bigint[], $5::uuid[]) AS x(programme_id, enterprise_id, order_id, voucher_fen, claim_id)
         JOIN redemption.programme_budget b ON b.programme_id = x.programme_id
        ORDER BY x.programme_id, redemption.budget_shard_of(x.order_id, b.shard_count)`,
      [
        changed.map((c) => c.programme_id),
        changed.map((c) => c.enterprise_id),
        changed.map((c) => c.order_id),
        changed.map((c) => c.voucher_fen.toString()),
        changed.map((c) => c.id),
      ],
    );
  }
}
