import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { PROGRAMME_ID_PATTERN, Province, PROVIDER_PROVINCES, PROVINCES } from './principal';
import { Events } from './subjects';
import { IsFenJson } from './event-validation';
import { MATCHING_RATIO_PATTERN } from './issuance.dto';
import { COPY_NAMES, CopyName, ServiceName } from './bus';

/**
 * Payloads of the events on the VOUCHER_EVENTS stream (EventEnvelope.payload), as validated classes:
 * the event consumer checks every payload against its class once, before any handler sees it, and an
 * event that does not match is not applied (libs/messaging, EventConsumer). Money fields are integer
 * fen as JSON numbers (or decimal strings above 2^53); readers convert with parseFen. These are the
 * only coupling between services besides request-reply subjects.
 */
export type FenJson = number | string;

export type ProgrammeMode = 'provider_redeems' | 'enterprise_reimbursed';
/** At most this many claims ride in one settlement decision event (about 90 bytes each). */
export const SETTLEMENT_CLAIMS_PER_EVENT = 1000;

const MODES: ProgrammeMode[] = ['provider_redeems', 'enterprise_reimbursed'];

/** voucher.events.programme.opened / .versioned / .closed — emitted by issuance. */
export class ProgrammeEvent {
  @Matches(PROGRAMME_ID_PATTERN) programmeId!: string; // e.g. 'JS-2026'
  @IsIn(PROVINCES) province!: Province;
  @IsInt() @Min(2000) @Max(2100) year!: number;
  @IsInt() @Min(1) version!: number;
  @IsIn(['open', 'closed']) status!: 'open' | 'closed';
  @IsInt() @Min(1) @Max(10000) offsetRateBp!: number; // 2500 = 25 %
  @IsFenJson() annualCapFen!: FenJson;
  /** the programme's total budget (all versions); redemption credits the difference to what it knew */
  @IsFenJson() budgetFen!: FenJson;
  @IsIn(MODES) mode!: ProgrammeMode;
  @IsInt() @Min(1) @Max(60) publicityWorkingDays!: number;
  @IsInt() @Min(1) @Max(60) matchingDeadlineMonths!: number;
  @IsInt() @Min(0) @Max(500) rewardRateBp!: number;
  @IsFenJson({ zero: true }) rewardCapFen!: FenJson;
  /** orders confirmed from this instant use this version (R-PROG-1) */
  @IsISO8601() effectiveFrom!: string;
}

/** voucher.events.region.registered / .updated — emitted by issuance. */
export class RegionEvent {
  @IsUUID('all') regionId!: string;
  @IsIn(PROVINCES) province!: Province;
  @IsString() @Length(1, 500) name!: string;
  /** exact decimal, e.g. '1.00' */
  @Matches(MATCHING_RATIO_PATTERN) matchingRatio!: string;
  @IsIn(['active', 'withdrawn']) status!: 'active' | 'withdrawn';
  /** 1 when registered, one more with each change: a consumer keeps the highest (absent in events from before) */
  @IsOptional() @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) version?: number;
}

/** voucher.events.region.defaulting / .caught-up — emitted by settlement (R-MATCH-1). */
export class RegionDefaultEvent {
  @IsUUID('all') regionId!: string;
  @IsInt() @Min(0) overdueCount!: number;
  @IsFenJson({ zero: true }) overdueFen!: FenJson;
}

/** voucher.events.enterprise.registered / .approved / .rejected — emitted by issuance. */
export class EnterpriseEvent {
  @IsUUID('all') enterpriseId!: string;
  @IsString() @Length(18, 18) creditCode!: string;
  @IsString() @Length(1, 500) name!: string;
  @IsIn(PROVINCES) province!: Province;
  @IsUUID('all') regionId!: string;
  @IsIn(['pending', 'approved', 'rejected']) status!: 'pending' | 'approved' | 'rejected';
  @IsOptional() @IsString() @Length(0, 2000) reason?: string | null;
}

/** voucher.events.quota.granted — emitted by issuance when a claim is accepted (R-QUOTA-1). */
export class QuotaGrantedEvent {
  @IsUUID('all') claimId!: string;
  @IsUUID('all') enterpriseId!: string;
  @Matches(PROGRAMME_ID_PATTERN) programmeId!: string;
  @IsInt() @Min(2000) @Max(2100) year!: number;
  @IsFenJson() amountFen!: FenJson;
}

/** voucher.events.quota.lapsed — emitted by redemption when year-end lapse ran (R-QUOTA-2). */
export class QuotaLapsedEvent {
  @IsUUID('all') enterpriseId!: string;
  @Matches(PROGRAMME_ID_PATTERN) programmeId!: string;
  @IsInt() @Min(2000) @Max(2100) year!: number;
  @IsFenJson() amountFen!: FenJson;
}

/** voucher.events.provider.* — emitted by the registry: the provider's whole state as of `version`. */
export class ProviderEvent {
  @IsUUID('all') providerId!: string;
  @IsString() @Length(18, 18) creditCode!: string;
  @IsString() @Length(1, 500) unitName!: string;
  @IsString() @Length(1, 500) legalName!: string;
  @IsIn(PROVIDER_PROVINCES) province!: string;
  @IsOptional() @IsString() kind?: string;
  @IsString() @Length(1, 40) status!: string;
  @IsBoolean() suspended!: boolean;
  @IsOptional() @Matches(PROGRAMME_ID_PATTERN) programmeId?: string;
  /** Raised by the registry with every event about the provider (absent in events from before it did) */
  @IsOptional() @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) version?: number;
  /** The programmes the provider is excluded from as of this version (comes with `version`) */
  @IsOptional() @IsArray() @ArrayMaxSize(1000) @Matches(PROGRAMME_ID_PATTERN, { each: true }) excludedProgrammes?: string[];
}

/** voucher.events.order.* — emitted by redemption. */
export class OrderEvent {
  @IsUUID('all') orderId!: string;
  @Matches(PROGRAMME_ID_PATTERN) programmeId!: string;
  @IsOptional() @IsInt() @Min(1) programmeVersion!: number | null;
  @IsUUID('all') enterpriseId!: string;
  @IsUUID('all') providerId!: string;
  @IsString() @Length(1, 40) status!: string;
  @IsFenJson() amountFen!: FenJson;
  @IsOptional() @IsFenJson({ zero: true }) voucherFen!: FenJson | null;
  @IsOptional() @IsFenJson({ zero: true }) enterprisePaysFen!: FenJson | null;
}

/**
 * voucher.events.claim.submitted / .amended — emitted by redemption (R-CLAIM-1..3); settlement keeps
 * its own copy of every claim from these events.
 */
export class ClaimEvent {
  @IsUUID('all') claimId!: string;
  @IsUUID('all') orderId!: string;
  @Matches(PROGRAMME_ID_PATTERN) programmeId!: string;
  @IsInt() @Min(1) programmeVersion!: number;
  @IsIn(MODES) mode!: ProgrammeMode;
  @IsUUID('all') enterpriseId!: string;
  @IsString() @Length(1, 500) enterpriseName!: string;
  @IsUUID('all') enterpriseRegionId!: string;
  @IsUUID('all') providerId!: string;
  @IsString() @Length(1, 1001) providerName!: string;
  @IsString() @Length(18, 18) providerCreditCode!: string;
  /** SH, JS, ZJ, AH or OTHER */
  @IsIn(PROVIDER_PROVINCES) providerProvince!: string;
  @IsIn(['provider', 'enterprise']) payeeType!: 'provider' | 'enterprise';
  @IsUUID('all') payeeId!: string;
  @IsFenJson() amountFen!: FenJson;
  @IsFenJson() voucherFen!: FenJson;
  @IsString() @Length(1, 100) invoiceNumber!: string;
  @IsISO8601() submittedAt!: string;
  @IsIn(['pending_review']) status!: 'pending_review';
  /** 1 when submitted, one more with each amendment (R-CLAIM-3); a consumer keeps the highest */
  @IsOptional() @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) revision?: number;
}

/**
 * voucher.events.settlement.claim-approved / -rejected / -returned / -paid — emitted by settlement,
 * one event per chunk of up to SETTLEMENT_CLAIMS_PER_EVENT claims of one run and one decision (a
 * quarter may hold millions of claims; one event per claim would make the outbox, the stream and
 * the consumer carry millions of messages). The claims are given column by column: the i-th claim
 * is claimIds[i], with orderIds[i], voucherFen[i] and reasons[i] (building and reading arrays of
 * scalars costs a fraction of an object per claim). Redemption returns V to the budget on
 * rejected (5.6 step 1) and marks paid claims. Every claim of a decision is in exactly one event.
 *
 * Only the decisions that carry a reason or give money back (rejected, returned) name each claim's
 * order, V and reason. Approved and paid name the claims alone: those are the decisions a whole
 * run takes at once, a million claims each, where the three other arrays were most of the cost of
 * writing the events (docs/performance.md); what was paid is in the run's instructions and
 * statement, and a claim's V in its own record.
 */
export class SettlementClaimsEvent {
  @IsUUID('all') runId!: string;
  @Matches(PROGRAMME_ID_PATTERN) programmeId!: string;
  @IsArray() @ArrayMaxSize(SETTLEMENT_CLAIMS_PER_EVENT) @IsUUID('all', { each: true }) claimIds!: string[];
  /** rejected and returned only */
  @IsOptional() @IsArray() @ArrayMaxSize(SETTLEMENT_CLAIMS_PER_EVENT) @IsUUID('all', { each: true }) orderIds?: string[];
  /** rejected and returned only */
  @IsOptional() @IsArray() @ArrayMaxSize(SETTLEMENT_CLAIMS_PER_EVENT) @IsFenJson({ each: true }) voucherFen?: FenJson[];
  /** rejected and returned only */
  @IsOptional() @IsArray() @ArrayMaxSize(SETTLEMENT_CLAIMS_PER_EVENT) reasons?: Array<string | null>;
}

/**
 * voucher.events.claim.flagged — emitted by redemption when a claim is refused because its invoice
 * number already backs another claim anywhere in the delta (R-CLAIM-2): both go to inspection.
 */
export class ClaimFlaggedEvent {
  @IsUUID('all') flagId!: string;
  @IsString() @Length(1, 100) invoiceNumber!: string;
  /** the order whose claim was refused */
  @IsUUID('all') orderId!: string;
  @Matches(PROGRAMME_ID_PATTERN) programmeId!: string;
  @IsUUID('all') enterpriseId!: string;
  @IsUUID('all') providerId!: string;
  /** the claim that already holds the invoice number, and its programme */
  @IsUUID('all') existingClaimId!: string;
  @IsUUID('all') existingOrderId!: string;
  @Matches(PROGRAMME_ID_PATTERN) existingProgrammeId!: string;
  @IsISO8601() flaggedAt!: string;
}

/**
 * voucher.events.settlement.amendment-accepted / -refused — emitted by settlement when it has taken
 * or refused an amendment of a claim (R-CLAIM-3: once a claim is in a run, settlement decides; an
 * approved claim is past review, and keeps the evidence it was approved on).
 */
export class SettlementAmendmentEvent {
  @IsUUID('all') claimId!: string;
  /** the amendment's revision (ClaimEvent.revision) */
  @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER) revision!: number;
  /** the claim's state in settlement when it answered */
  @IsString() @Length(1, 40) state!: string;
  @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

/**
 * voucher.events.provider.heartbeat (registry) / voucher.events.programme.heartbeat (issuance): the
 * owner of a copied state vouches that every event it emitted before `emittedAt` is on the stream
 * ahead of this one (it goes through the same outbox). Read by the services that keep the copy
 * (libs/platform, copies.ts).
 */
export class HeartbeatEvent {
  @IsIn(COPY_NAMES) copy!: CopyName;
  /** wall-clock instant at which the owner wrote the heartbeat into its outbox */
  @IsISO8601({ strict: true }) emittedAt!: string;
}

/** voucher.events.settlement.run-started / -published / -disbursed — emitted by settlement (SPEC 5.6). */
export class SettlementRunEvent {
  @IsUUID('all') runId!: string;
  @Matches(PROGRAMME_ID_PATTERN) programmeId!: string;
  @Matches(/^\d{4}Q[1-4]$/) quarter!: string;
  @IsString() @Length(1, 40) state!: string;
  @IsInt() @Min(0) claimCount!: number;
  @IsFenJson({ zero: true }) totalFen!: FenJson;
  /** run-published: the publicity window (R-PUB-1) */
  @IsOptional() @IsString() publishedOn?: string;
  @IsOptional() @IsString() closesAt?: string;
  /** run-disbursed: payment instructions written (R-PAY-1) */
  @IsOptional() @IsInt() @Min(0) instructionCount?: number;
}

/** voucher.events.matching.recorded — emitted by settlement when a region admin records a matching payment (R-MATCH-1). */
export class MatchingRecordedEvent {
  @IsUUID('all') paymentId!: string;
  @IsUUID('all') obligationId!: string;
  @IsUUID('all') regionId!: string;
  @IsUUID('all') enterpriseId!: string;
  @Matches(PROGRAMME_ID_PATTERN) programmeId!: string;
  @IsUUID('all') runId!: string;
  @IsFenJson() amountFen!: FenJson;
  @IsString() paidOn!: string;
  @IsFenJson({ zero: true }) outstandingFen!: FenJson;
}

export type EventType = (typeof Events)[keyof typeof Events];

export interface EventDefinition {
  /** the one service whose signature is accepted on this event type */
  owner: ServiceName;
  /** the class its payload must validate against */
  payload: new () => object;
}

/**
 * Every event type of the system: which service alone may emit it, and what its payload is. A
 * consumer applies an event only when its signer owns the type, its subject is its type, and its
 * payload validates against the class here; anything else goes to quarantine (issue of trust:
 * nothing on the bus is believed because it arrived).
 */
export const EVENT_CATALOG: Record<EventType, EventDefinition> = {
  [Events.providerAdmitted]: { owner: 'registry', payload: ProviderEvent },
  [Events.providerApplied]: { owner: 'registry', payload: ProviderEvent },
  [Events.providerRejected]: { owner: 'registry', payload: ProviderEvent },
  [Events.providerRevoked]: { owner: 'registry', payload: ProviderEvent },
  [Events.providerSuspended]: { owner: 'registry', payload: ProviderEvent },
  [Events.providerReinstated]: { owner: 'registry', payload: ProviderEvent },
  [Events.providerExcluded]: { owner: 'registry', payload: ProviderEvent },
  [Events.providerExclusionLifted]: { owner: 'registry', payload: ProviderEvent },
  [Events.programmeOpened]: { owner: 'issuance', payload: ProgrammeEvent },
  [Events.programmeVersioned]: { owner: 'issuance', payload: ProgrammeEvent },
  [Events.programmeClosed]: { owner: 'issuance', payload: ProgrammeEvent },
  [Events.regionRegistered]: { owner: 'issuance', payload: RegionEvent },
  [Events.regionUpdated]: { owner: 'issuance', payload: RegionEvent },
  [Events.regionDefaulting]: { owner: 'settlement', payload: RegionDefaultEvent },
  [Events.regionCaughtUp]: { owner: 'settlement', payload: RegionDefaultEvent },
  [Events.enterpriseRegistered]: { owner: 'issuance', payload: EnterpriseEvent },
  [Events.enterpriseApproved]: { owner: 'issuance', payload: EnterpriseEvent },
  [Events.enterpriseRejected]: { owner: 'issuance', payload: EnterpriseEvent },
  [Events.quotaGranted]: { owner: 'issuance', payload: QuotaGrantedEvent },
  [Events.quotaLapsed]: { owner: 'redemption', payload: QuotaLapsedEvent },
  [Events.orderCreated]: { owner: 'redemption', payload: OrderEvent },
  [Events.orderConfirmed]: { owner: 'redemption', payload: OrderEvent },
  [Events.orderPaid]: { owner: 'redemption', payload: OrderEvent },
  [Events.orderCancelled]: { owner: 'redemption', payload: OrderEvent },
  [Events.orderCompleted]: { owner: 'redemption', payload: OrderEvent },
  [Events.claimSubmitted]: { owner: 'redemption', payload: ClaimEvent },
  [Events.claimAmended]: { owner: 'redemption', payload: ClaimEvent },
  [Events.claimFlagged]: { owner: 'redemption', payload: ClaimFlaggedEvent },
  [Events.settlementRunStarted]: { owner: 'settlement', payload: SettlementRunEvent },
  [Events.settlementClaimApproved]: { owner: 'settlement', payload: SettlementClaimsEvent },
  [Events.settlementClaimRejected]: { owner: 'settlement', payload: SettlementClaimsEvent },
  [Events.settlementClaimReturned]: { owner: 'settlement', payload: SettlementClaimsEvent },
  [Events.settlementClaimPaid]: { owner: 'settlement', payload: SettlementClaimsEvent },
  [Events.settlementAmendmentAccepted]: { owner: 'settlement', payload: SettlementAmendmentEvent },
  [Events.settlementAmendmentRefused]: { owner: 'settlement', payload: SettlementAmendmentEvent },
  [Events.settlementRunPublished]: { owner: 'settlement', payload: SettlementRunEvent },
  [Events.settlementRunDisbursed]: { owner: 'settlement', payload: SettlementRunEvent },
  [Events.matchingRecorded]: { owner: 'settlement', payload: MatchingRecordedEvent },
  [Events.providerHeartbeat]: { owner: 'registry', payload: HeartbeatEvent },
  [Events.programmeHeartbeat]: { owner: 'issuance', payload: HeartbeatEvent },
};

/** The event types a service may emit (and so publish on the bus), from the catalog. */
export function eventsOwnedBy(service: ServiceName): EventType[] {
  return (Object.keys(EVENT_CATALOG) as EventType[]).filter((type) => EVENT_CATALOG[type].owner === service);
}
