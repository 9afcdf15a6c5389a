import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import {
  ClaimEvent,
  ClaimFlaggedEvent,
  consumerSpec,
  EnterpriseEvent,
  EventEnvelope,
  Events,
  isUuid,
  PROGRAMME_ID_PATTERN,
  ProgrammeEvent,
  PROVIDER_PROVINCES,
  ProgrammeMode,
  RegionEvent,
  SettlementAmendmentEvent,
} from '@vc/contracts';
import { addToOutbox, isEventVersion, newerVersion, queryRows, Tx } from '@vc/database';
import { parseDecimalRatio, parseFen, quarterOf } from '@vc/domain';
import { EventConsumer, EventVerifier, NATS_CONNECTION } from '@vc/messaging';
import { lockClaim } from '../sql/claim-state';
import { claimLock, collectionLock } from '../sql/locks';

/** The states in which an amendment replaces a claim's evidence (R-CLAIM-3): not yet approved. */
const AMENDABLE = ['pending', 'in_review', 'returned', 'deferred'];

/** An event that can never be applied (a bug upstream): logged and skipped, not redelivered forever. */
class UnusableEvent extends Error {}

function uuid(value: unknown, field: string): string {
  if (!isUuid(value)) throw new UnusableEvent(`${field} is not a uuid`);
  return value;
}

function fen(value: unknown, field: string): bigint {
  const f = parseFen(value);
  if (f === null || f <= 0n) throw new UnusableEvent(`${field} is not a positive amount of fen`);
  return f;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new UnusableEvent(`${field} is missing`);
  return value;
}

function positiveInt(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) throw new UnusableEvent(`${field} is not a positive integer`);
  return value as number;
}

function mode(value: unknown): ProgrammeMode {
  if (value !== 'provider_redeems' && value !== 'enterprise_reimbursed') throw new UnusableEvent('mode is not a programme mode');
  return value;
}

function instant(value: unknown, field: string): Date {
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw new UnusableEvent(`${field} is not an ISO 8601 instant`);
  return new Date(t);
}

/**
 * Settlement's own copies of what it settles, fed by events (no service reads another's tables):
 * programmes and their versions, linked regions, approved enterprises, and every redemption claim
 * (submitted, amended, flagged). Exactly-once per event (EventConsumer); one durable per subject.
 */
@Injectable()
export class ProjectionConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly consumer: EventConsumer;
  private readonly logger = new Logger('SettlementProjection');

  constructor(ds: DataSource, @Inject(NATS_CONNECTION) nc: NatsConnection, verifier: EventVerifier) {
    this.consumer = new EventConsumer(ds, nc, {
      schema: 'settlement',
      service: 'settlement',
      consumer: consumerSpec('settlement', 'settlement-projection'),
      verifier,
      handle: (event, tx) => this.handle(event, tx),
    });
  }

  async handle(event: EventEnvelope, tx: Tx): Promise<void> {
    try {
      switch (event.type) {
        case Events.programmeOpened:
        case Events.programmeVersioned:
        case Events.programmeClosed:
          return await this.programme(event.payload as unknown as ProgrammeEvent, tx);
        case Events.regionRegistered:
        case Events.regionUpdated:
          return await this.region(event.payload as unknown as RegionEvent, tx);
        case Events.enterpriseApproved:
          return await this.enterprise(event.payload as unknown as EnterpriseEvent, tx);
        case Events.claimSubmitted:
          return await this.claimSubmitted(event.payload as unknown as ClaimEvent, tx);
        case Events.claimAmended:
          return await this.claimAmended(event.payload as unknown as ClaimEvent, tx);
        case Events.claimFlagged:
          return await this.claimFlagged(event.payload as unknown as ClaimFlaggedEvent, tx);
      }
    } catch (err) {
      if (err instanceof UnusableEvent) {
        this.logger.error(`skipping unusable ${event.type} ${event.id}: ${err.message}`);
        return;
      }
      throw err;
    }
  }

  private async programme(p: ProgrammeEvent, tx: Tx): Promise<void> {
    const id = text(p.programmeId, 'programmeId');
    if (!PROGRAMME_ID_PATTERN.test(id)) throw new UnusableEvent('programmeId');
    const rewardCap = parseFen(p.rewardCapFen) ?? 0n;
    await tx.query(
      `INSERT INTO settlement.programme_versions (programme_id, version, publicity_working_days, matching_deadline_months, reward_rate_bp, reward_cap_fen, effective_from)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [id, p.version, p.publicityWorkingDays, p.matchingDeadlineMonths, p.rewardRateBp, rewardCap, instant(p.effectiveFrom, 'effectiveFrom')],
    );
    // Versions only move forward; a closed programme stays closed.
    await tx.query(
      `INSERT INTO settlement.programmes AS t (id, province, year, version, status, mode, publicity_working_days, matching_deadline_months, reward_rate_bp, reward_cap_fen)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (id) DO UPDATE SET
         version = GREATEST(t.version, EXCLUDED.version),
         status = CASE WHEN t.status = 'closed' OR EXCLUDED.status = 'closed' THEN 'closed' ELSE EXCLUDED.status END,
         mode = CASE WHEN EXCLUDED.version >= t.version THEN EXCLUDED.mode ELSE t.mode END,
         publicity_working_days = CASE WHEN EXCLUDED.version >= t.version THEN EXCLUDED.publicity_working_days ELSE t.publicity_working_days END,
         matching_deadline_months = CASE WHEN EXCLUDED.version >= t.version THEN EXCLUDED.matching_deadline_months ELSE t.matching_deadline_months END,
         reward_rate_bp = CASE WHEN EXCLUDED.version >= t.version THEN EXCLUDED.reward_rate_bp ELSE t.reward_rate_bp END,
         reward_cap_fen = CASE WHEN EXCLUDED.version >= t.version THEN EXCLUDED.reward_cap_fen ELSE t.reward_cap_fen END,
         updated_at = now()`,
      [id, p.province, p.year, p.version, p.status, p.mode, p.publicityWorkingDays, p.matchingDeadlineMonths, p.rewardRateBp, rewardCap],
    );
  }

  /**
   * A region as its newest event says (R-MATCH-1: its ratio decides what it owes): an event older
   * than the version held, delivered late by another instance or a redelivery, changes nothing.
   * Events from before issuance versioned them (no version) apply as they did while no versioned
   * one has.
   */
  private async region(r: RegionEvent, tx: Tx): Promise<void> {
    const ratio = text(r.matchingRatio, 'matchingRatio');
    try {
      parseDecimalRatio(ratio);
    } catch {
      throw new UnusableEvent('matchingRatio is not a decimal');
    }
    if (!isEventVersion(r.version)) throw new UnusableEvent('version is not a positive integer');
    await tx.query(
      `INSERT INTO settlement.regions (id, province, name, matching_ratio, status, version) VALUES ($1, $2, $3, $4::numeric, $5, $6)
       ON CONFLICT (id) DO UPDATE SET province = EXCLUDED.province, name = EXCLUDED.name, matching_ratio = EXCLUDED.matching_ratio,
         status = EXCLUDED.status, version = EXCLUDED.version, updated_at = now()
        WHERE ${newerVersion('settlement.regions')}`,
      [uuid(r.regionId, 'regionId'), r.province, r.name, ratio, r.status, r.version ?? 0],
    );
  }

  private async enterprise(e: EnterpriseEvent, tx: Tx): Promise<void> {
    await tx.query(
      `INSERT INTO settlement.enterprises (id, credit_code, name, province, region_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET credit_code = EXCLUDED.credit_code, name = EXCLUDED.name, province = EXCLUDED.province, region_id = EXCLUDED.region_id`,
      [uuid(e.enterpriseId, 'enterpriseId'), e.creditCode, e.name, e.province, uuid(e.regionId, 'regionId')],
    );
  }

  private claimValues(c: ClaimEvent): unknown[] {
    const province = text(c.providerProvince, 'providerProvince');
    if (!(PROVIDER_PROVINCES as readonly string[]).includes(province)) throw new UnusableEvent('providerProvince');
    if (c.payeeType !== 'provider' && c.payeeType !== 'enterprise') throw new UnusableEvent('payeeType');
    return [
      uuid(c.claimId, 'claimId'),
      uuid(c.orderId, 'orderId'),
      text(c.programmeId, 'programmeId'),
      positiveInt(c.programmeVersion, 'programmeVersion'),
      mode(c.mode),
      uuid(c.enterpriseId, 'enterpriseId'),
      text(c.enterpriseName, 'enterpriseName'),
      uuid(c.enterpriseRegionId, 'enterpriseRegionId'),
      uuid(c.providerId, 'providerId'),
      text(c.providerName, 'providerName'),
      text(c.providerCreditCode, 'providerCreditCode'),
      province,
      c.payeeType,
      uuid(c.payeeId, 'payeeId'),
      fen(c.amountFen, 'amountFen'),
      fen(c.voucherFen, 'voucherFen'),
      text(c.invoiceNumber, 'invoiceNumber'),
      instant(c.submittedAt, 'submittedAt'),
    ];
  }

  /**
   * A new claim is filed under the run that will take it (migration 1764000000404): the run of its
   * submission's quarter, or the programme's next run (NULL) when a run of that quarter or a later
   * one exists already. The shared lock orders this against a run's collection.
   */
  private async claimSubmitted(c: ClaimEvent, tx: Tx): Promise<void> {
    const values = this.claimValues(c);
    // First the claim's own lock: a flag on it applies wholly before or wholly after this (claimLock).
    await tx.query(...claimLock(values[0] as string));
    await tx.query(...collectionLock(values[2] as string, 'shared'));
    await tx.query(
      `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id,
         provider_id, provider_name, provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at, flagged,
         run_quarter)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
               EXISTS (SELECT 1 FROM settlement.claim_flags WHERE claim_id = $1),
               CASE WHEN EXISTS (SELECT 1 FROM settlement.runs WHERE programme_id = $3 AND quarter >= $19) THEN NULL ELSE $19 END)
       ON CONFLICT (claim_id) DO NOTHING`,
      [...values, quarterOf(values[17] as Date)],
    );
  }

  /**
   * R-CLAIM-3: once a claim is in a run, settlement decides whether it may still be amended, and
   * answers redemption (settlement.amendment-accepted / -refused), which keeps the claim's old
   * evidence until then. A claim approved (one by one, or by its run's approve-all) is past review:
   * refused, it is paid on the evidence it was approved on. An amendment changes evidence only: one
   * that would change the payee, A or V is refused whatever the state. A returned claim amended is
   * pending again. The submission may not have arrived yet (another durable): fail, and be redelivered.
   */
  private async claimAmended(c: ClaimEvent, tx: Tx): Promise<void> {
    const v = this.claimValues(c);
    const claimId = v[0] as string;
    // Its state as it now stands, locked: a claim the run's approve-all approved is past review though
    // its row still says in review (ADR 0008).
    const claim = await lockClaim(tx, claimId);
    if (!claim) throw new Error(`claim ${claimId} not known yet`);
    // Amendments may arrive out of order (a redelivery, another instance): one of a revision the claim
    // has reached already changes nothing, and was answered when it was applied. An event without a
    // revision (from before redemption sent them) applies as the next one.
    const revision = Number.isSafeInteger(c.revision) && (c.revision as number) > 1 ? (c.revision as number) : null;
    const [held] = await queryRows<{ revision: number; payee_type: string; payee_id: string; amount_fen: bigint; voucher_fen: bigint }>(
      tx,
      `SELECT revision, payee_type, payee_id::text, amount_fen, voucher_fen FROM settlement.claims WHERE claim_id = $1`,
      [claimId],
    );
    if (revision !== null && held.revision >= revision) {
      this.logger.log(`amendment of claim ${claimId} (revision ${revision}) ignored: the claim has that revision or a later one`);
      return;
    }
    const answer = (subject: string, reason?: string) =>
      addToOutbox(tx, 'settlement', {
        subject,
        aggregateType: 'claim',
        aggregateId: claimId,
        payload: { claimId, revision: revision ?? held.revision + 1, state: claim.state, ...(reason ? { reason } : {}) } satisfies SettlementAmendmentEvent,
      });
    if (!AMENDABLE.includes(claim.state)) {
      this.logger.warn(`amendment of claim ${claimId} refused: it is past review (${claim.state})`);
      await answer(Events.settlementAmendmentRefused, `the claim is past review (${claim.state}) in its run; it is settled on the evidence it was reviewed on`);
      return;
    }
    if (held.payee_type !== v[12] || held.payee_id !== v[13] || held.amount_fen !== v[14] || held.voucher_fen !== v[15]) {
      this.logger.error(`amendment of claim ${claimId} refused: it would change the payee, A or V, which no amendment does`);
      await answer(Events.settlementAmendmentRefused, 'an amendment changes the evidence only, never the payee, the amount or the voucher');
      return;
    }
    await tx.query(
      `UPDATE settlement.claims SET invoice_number = $2, enterprise_name = $3, provider_name = $4, revision = COALESCE($5::int, revision + 1),
         state = CASE WHEN state = 'returned' THEN 'pending' ELSE state END
       WHERE claim_id = $1`,
      [claimId, v[16], v[6], v[9], revision],
    );
    await answer(Events.settlementAmendmentAccepted);
  }

  private async claimFlagged(f: ClaimFlaggedEvent, tx: Tx): Promise<void> {
    const claimId = uuid(f.existingClaimId, 'existingClaimId');
    // Before the flag is written: a submission of the claim under way commits first, and is then found.
    await tx.query(...claimLock(claimId));
    await tx.query(
      `INSERT INTO settlement.claim_flags (flag_id, claim_id, invoice_number, flagged_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [uuid(f.flagId, 'flagId'), claimId, text(f.invoiceNumber, 'invoiceNumber'), instant(f.flaggedAt, 'flaggedAt')],
    );
    // A claim the run's approve-all approved (its row still in review) stays approved: its approval is
    // written onto it before the flag, which would otherwise make it an exception (ADR 0008).
    const claim = await lockClaim(tx, claimId);
    if (!claim) return; // applied when the claim arrives (claimSubmitted reads claim_flags)
    const approvedByRun = claim.stored_state === 'in_review' && claim.state !== 'in_review';
    await tx.query(
      `UPDATE settlement.claims SET flagged = true${approvedByRun ? `, state = 'approved', decided_at = $2` : ''} WHERE claim_id = $1`,
      approvedByRun ? [claimId, claim.decided_at] : [claimId],
    );
  }

  onApplicationBootstrap(): Promise<void> {
    return this.consumer.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.consumer.stop();
  }
}
