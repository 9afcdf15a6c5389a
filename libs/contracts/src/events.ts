/**
 * Payloads of the events on the VOUCHER_EVENTS stream (EventEnvelope.payload). Money fields are
 * integer fen as JSON numbers (or decimal strings above 2^53); readers convert with BigInt(x).
 * These are the only coupling between services besides request-reply subjects.
 */
export type FenJson = number | string;

export type ProgrammeMode = 'provider_redeems' | 'enterprise_reimbursed';

/** voucher.events.programme.opened / .versioned / .closed — emitted by issuance. */
export interface ProgrammeEvent {
  programmeId: string; // e.g. 'JS-2026'
  province: 'SH' | 'JS' | 'ZJ' | 'AH';
  year: number;
  version: number;
  status: 'open' | 'closed';
  offsetRateBp: number; // 2500 = 25 %
  annualCapFen: FenJson;
  /** the programme's total budget (all versions); redemption credits the difference to what it knew */
  budgetFen: FenJson;
  mode: ProgrammeMode;
  publicityWorkingDays: number;
  matchingDeadlineMonths: number;
  rewardRateBp: number;
  rewardCapFen: FenJson;
  /** orders confirmed from this instant use this version (R-PROG-1) */
  effectiveFrom: string;
}

/** voucher.events.region.registered / .updated — emitted by issuance. */
export interface RegionEvent {
  regionId: string;
  province: 'SH' | 'JS' | 'ZJ' | 'AH';
  name: string;
  /** exact decimal, e.g. '1.00' */
  matchingRatio: string;
  status: 'active' | 'withdrawn';
  /** 1 when registered, one more with each change: a consumer keeps the highest (absent in events from before) */
  version?: number;
}

/** voucher.events.region.defaulting / .caught-up — emitted by settlement (R-MATCH-1). */
export interface RegionDefaultEvent {
  regionId: string;
  overdueCount: number;
  overdueFen: FenJson;
}

/** voucher.events.enterprise.registered / .approved / .rejected — emitted by issuance. */
export interface EnterpriseEvent {
  enterpriseId: string;
  creditCode: string;
  name: string;
  province: 'SH' | 'JS' | 'ZJ' | 'AH';
  regionId: string;
  status: 'pending' | 'approved' | 'rejected';
  reason?: string | null;
}

/** voucher.events.quota.granted — emitted by issuance when a claim is accepted (R-QUOTA-1). */
export interface QuotaGrantedEvent {
  claimId: string;
  enterpriseId: string;
  programmeId: string;
  year: number;
  amountFen: FenJson;
}

/** voucher.events.quota.lapsed — emitted by redemption when year-end lapse ran (R-QUOTA-2). */
export interface QuotaLapsedEvent {
  enterpriseId: string;
  programmeId: string;
  year: number;
  amountFen: FenJson;
}

/** voucher.events.order.* — emitted by redemption. */
export interface OrderEvent {
  orderId: string;
  programmeId: string;
  programmeVersion: number;
  enterpriseId: string;
  providerId: string;
  status: string;
  amountFen: FenJson;
  voucherFen: FenJson;
  enterprisePaysFen: FenJson;
}

/**
 * voucher.events.claim.submitted / .amended — emitted by redemption (R-CLAIM-1..3); settlement keeps
 * its own copy of every claim from these events.
 */
export interface ClaimEvent {
  claimId: string;
  orderId: string;
  programmeId: string;
  programmeVersion: number;
  mode: ProgrammeMode;
  enterpriseId: string;
  enterpriseName: string;
  enterpriseRegionId: string;
  providerId: string;
  providerName: string;
  providerCreditCode: string;
  /** SH, JS, ZJ, AH or OTHER */
  providerProvince: string;
  payeeType: 'provider' | 'enterprise';
  payeeId: string;
  amountFen: FenJson;
  voucherFen: FenJson;
  invoiceNumber: string;
  submittedAt: string;
  status: 'pending_review';
  /** 1 when submitted, one more with each amendment (R-CLAIM-3); a consumer keeps the highest */
  revision?: number;
}

/** At most this many claims ride in one settlement decision event (about 90 bytes each). */
export const SETTLEMENT_CLAIMS_PER_EVENT = 1000;

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
export interface SettlementClaimsEvent {
  runId: string;
  programmeId: string;
  claimIds: string[];
  /** rejected and returned only */
  orderIds?: string[];
  /** rejected and returned only */
  voucherFen?: FenJson[];
  /** rejected and returned only */
  reasons?: Array<string | null>;
}

/**
 * voucher.events.claim.flagged — emitted by redemption when a claim is refused because its invoice
 * number already backs another claim anywhere in the delta (R-CLAIM-2): both go to inspection.
 */
export interface ClaimFlaggedEvent {
  flagId: string;
  invoiceNumber: string;
  /** the order whose claim was refused */
  orderId: string;
  programmeId: string;
  enterpriseId: string;
  providerId: string;
  /** the claim that already holds the invoice number, and its programme */
  existingClaimId: string;
  existingOrderId: string;
  existingProgrammeId: string;
  flaggedAt: string;
}

/** voucher.events.settlement.run-started / -published / -disbursed — emitted by settlement (SPEC 5.6). */
export interface SettlementRunEvent {
  runId: string;
  programmeId: string;
  quarter: string;
  state: string;
  claimCount: number;
  totalFen: FenJson;
  /** run-published: the publicity window (R-PUB-1) */
  publishedOn?: string;
  closesAt?: string;
  /** run-disbursed: payment instructions written (R-PAY-1) */
  instructionCount?: number;
}

/** voucher.events.matching.recorded — emitted by settlement when a region admin records a matching payment (R-MATCH-1). */
export interface MatchingRecordedEvent {
  paymentId: string;
  obligationId: string;
  regionId: string;
  enterpriseId: string;
  programmeId: string;
  runId: string;
  amountFen: FenJson;
  paidOn: string;
  outstandingFen: FenJson;
}
