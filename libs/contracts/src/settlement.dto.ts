import { Type } from 'class-transformer';
import { PROVIDER_PROVINCES, PROVINCES } from './principal';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import type { FenJson } from './events';
import { ApiProperty } from '@nestjs/swagger';
import { ApiBool, ApiDate, ApiEnum, ApiFen, ApiInstant, ApiInt, ApiText, ApiUuid, ApiUuids, ApiView } from './api-docs';
import { IsFen, IsObjectorContact, IsProgrammeId, ToFen, MAX_PAGE_OFFSET } from './validation';
import { BANK_STATUSES, BankStatus, RunPaymentsView } from './bank.dto';

/** DTOs and views of the settlement service (SPEC 5.6–5.8). Money is integer fen. */

/** Money in a view: bigint in the service, a JSON number (or decimal string) on the wire (toWire). */
export type FenOut = bigint | FenJson;

export const QUARTER_PATTERN = /^[1-9]\d{3}Q[1-4]$/;
/** The seed of a run's inspection sample: the same seed draws the same sample. */
const SEED_PATTERN = /^[0-9a-f]{8,64}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * review: claims collected, decisions being made → publicity: approved list published (R-PUB-1)
 * → disbursing: payment instructions written → paid: claims paid, matching owed → completed:
 * statement written and checked against the instructions (R-CLEAR-1).
 */
export const RUN_STATES = ['review', 'publicity', 'disbursing', 'paid', 'completed'] as const;
export type RunState = (typeof RUN_STATES)[number];

/**
 * pending: waiting for a run; in_review: collected by a run; approved: on the publicity list;
 * held: an open objection keeps it out of payment; returned: back for amendment (next run);
 * deferred: objection dismissed (next run); rejected / paid: final.
 */
export const SETTLEMENT_CLAIM_STATES = ['pending', 'in_review', 'approved', 'held', 'returned', 'deferred', 'rejected', 'paid'] as const;
export type SettlementClaimState = (typeof SETTLEMENT_CLAIM_STATES)[number];

export const REVIEW_DECISIONS = ['approve', 'reject', 'return'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/** The share of a run's claims drawn for on-site inspection when the operator gives none, in basis points (5 %). */
export const DEFAULT_SAMPLE_RATE_BP = 500;

export class StartRunDto {
  @IsProgrammeId() programmeId: string;
  @IsString() @Matches(QUARTER_PATTERN, { message: 'quarter must look like 2026Q3' }) quarter: string;
  /** share of the collected claims drawn for on-site inspection, in basis points (default 500 = 5 %) */
  @IsOptional() @IsInt() @Min(0) @Max(10000) sampleRateBp?: number;
  /** a given seed reproduces a sample; by default a fresh one is drawn and stored */
  @IsOptional() @IsString() @Matches(SEED_PATTERN, { message: 'seed must be 8-64 lowercase hex digits' }) seed?: string;
}

export class RunIdDto {
  @IsUUID() runId: string;
}

export class ListRunsDto {
  @IsOptional() @IsProgrammeId() programmeId?: string;
  @IsOptional() @IsString() @Matches(QUARTER_PATTERN) quarter?: string;
  @IsOptional() @IsIn(RUN_STATES) state?: RunState;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

export class ClaimDecisionDto {
  @IsUUID() claimId: string;
  @IsIn(REVIEW_DECISIONS) decision: ReviewDecision;
  /** required to reject or return (the applicant is told why) */
  @ValidateIf((o: ClaimDecisionDto) => o.decision !== 'approve' || o.reason !== undefined) @IsString() @Length(1, 500) reason?: string;
}

/**
 * Step 1 of a run: explicit decisions (up to 1000 a request), and/or `approveAll` for every claim
 * still in review that is neither sampled for inspection nor flagged (those need an explicit one).
 */
export class ReviewRunDto {
  @IsUUID() runId: string;
  @IsOptional() @IsArray() @ArrayMaxSize(1000) @ValidateNested({ each: true }) @Type(() => ClaimDecisionDto) decisions?: ClaimDecisionDto[];
  @IsOptional() @IsBoolean() approveAll?: boolean;
}

/** The decisions one `settle run` may carry (a quarter of a large programme), sent 1,000 at a time. */
export const ADVANCE_RUN_DECISIONS_MAX = 5_000_000;

/**
 * The quarterly run taken as far as it can go now (AdvanceRunUseCase; the `settle run` verb): the
 * run named by runId, or by programme and quarter (started when it does not exist, with the sample
 * rate and seed given); the decisions not yet in effect, sent in batches of 1,000; approve-all;
 * publication once nothing is left in review (unless publish is false); disbursement once the
 * publicity has closed.
 */
export class AdvanceRunDto {
  @IsOptional() @IsUUID() runId?: string;
  @IsOptional() @IsProgrammeId() programmeId?: string;
  @IsOptional() @IsString() @Matches(QUARTER_PATTERN, { message: 'quarter must look like 2026Q3' }) quarter?: string;
  @IsOptional() @IsInt() @Min(0) @Max(10000) sampleRateBp?: number;
  @IsOptional() @IsString() @Matches(SEED_PATTERN, { message: 'seed must be 8-64 lowercase hex digits' }) seed?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(ADVANCE_RUN_DECISIONS_MAX) @ValidateNested({ each: true }) @Type(() => ClaimDecisionDto) decisions?: ClaimDecisionDto[];
  @IsOptional() @IsBoolean() approveAll?: boolean;
  @IsOptional() @IsBoolean() publish?: boolean;
}

export class ListInstructionsDto {
  @IsUUID() runId: string;
  @IsOptional() @IsInt() @Min(1) @Max(5000) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

export class ListRunClaimsDto {
  @IsUUID() runId: string;
  @IsOptional() @IsIn(SETTLEMENT_CLAIM_STATES) state?: SettlementClaimState;
  @IsOptional() @IsBoolean() sampled?: boolean;
  @IsOptional() @IsUUID() payeeId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(1000) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

export class PublicityQueryDto {
  @IsOptional() @IsProgrammeId() programmeId?: string;
  @IsOptional() @IsUUID() runId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(1000) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

/** A name as a person writes it: no control characters, not blank. */
const PERSON_NAME = /^[^\p{Cc}]*[^\p{Cc}\s][^\p{Cc}]*$/u;

/** R-PUB-1: anyone may object during the publicity window, named and reachable. */
export class FileObjectionDto {
  @IsUUID() runId: string;
  @IsUUID() claimId: string;
  /** the objector's real name (实名) */
  @IsString() @Length(1, 100) @Matches(PERSON_NAME, { message: 'objectorName must be a name (not blank, no control characters)' }) objectorName: string;
  /** a phone number (mobile, or landline with area code) or an e-mail address, so the desk can reach the objector */
  @IsString() @MaxLength(200) @IsObjectorContact() objectorContact: string;
  @IsString() @Length(1, 2000) reason: string;
}

export const OBJECTION_DECISIONS = ['uphold', 'dismiss'] as const;

export class DecideObjectionDto {
  @IsUUID() objectionId: string;
  @IsIn(OBJECTION_DECISIONS) decision: 'uphold' | 'dismiss';
  @IsString() @Length(1, 500) reason: string;
}

/**
 * The operator's one decision on every open objection of a claim (the desk examines the claim, not
 * each of a flood of objections): uphold rejects the claim, dismiss sends it to the next run;
 * every open objection gets the decision and its reason.
 */
export class DecideClaimObjectionsDto {
  @IsUUID() runId: string;
  @IsUUID() claimId: string;
  @IsIn(OBJECTION_DECISIONS) decision: 'uphold' | 'dismiss';
  @IsString() @Length(1, 500) reason: string;
}

export class ListObjectionsDto {
  @IsOptional() @IsUUID() runId?: string;
  @IsOptional() @IsUUID() claimId?: string;
  @IsOptional() @IsIn(['open', 'upheld', 'dismissed', 'superseded']) status?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

export class MatchingPaymentItemDto {
  @IsUUID() obligationId: string;
  @ToFen() @IsFen() amountFen: bigint;
}

/** R-MATCH-1: a region admin records what its region paid its enterprises. */
export class RecordMatchingDto {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1000) @ValidateNested({ each: true }) @Type(() => MatchingPaymentItemDto) items: MatchingPaymentItemDto[];
  /** the bank transfer date (Asia/Shanghai) */
  @IsString() @Matches(DATE_PATTERN, { message: 'paidOn must be YYYY-MM-DD' }) paidOn: string;
  @IsString() @Length(1, 100) reference: string;
}

export class MatchingReportDto {
  @IsOptional() @IsUUID() regionId?: string;
  @IsOptional() @IsProgrammeId() programmeId?: string;
  @IsOptional() @IsBoolean() overdueOnly?: boolean;
  @IsOptional() @IsInt() @Min(1) @Max(1000) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

export class StatementQueryDto {
  @IsOptional() @IsUUID() runId?: string;
  @IsOptional() @IsString() @Matches(QUARTER_PATTERN) quarter?: string;
  @IsOptional() @IsProgrammeId() programmeId?: string;
  /** include the per-provider lines behind each total */
  @IsOptional() @IsBoolean() detail?: boolean;
}

export const REWARD_GRADES = ['excellent', 'good', 'fair', 'poor'] as const;
export type RewardGrade = (typeof REWARD_GRADES)[number];

export class GradeProviderDto {
  @IsProgrammeId() programmeId: string;
  @IsInt() @Min(2000) @Max(2100) year: number;
  @IsUUID() providerId: string;
  @IsIn(REWARD_GRADES) grade: RewardGrade;
}

export class RewardQueryDto {
  @IsProgrammeId() programmeId: string;
  @IsInt() @Min(2000) @Max(2100) year: number;
}

export const EXPORT_KINDS = ['instructions', 'publicity', 'statement', 'rewards', 'notice'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
/** xml: the run's payment instructions as an ISO 20022 pain.001 credit transfer initiation (instructions only) */
export const EXPORT_FORMATS = ['csv', 'xlsx', 'pdf', 'xml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ExportDto {
  @IsIn(EXPORT_KINDS) kind: ExportKind;
  @IsIn(EXPORT_FORMATS) format: ExportFormat;
  /** instructions, publicity, notice, statement of one run */
  @IsOptional() @IsUUID() runId?: string;
  /** statement of a quarter; rewards of a programme and year */
  @IsOptional() @IsString() @Matches(QUARTER_PATTERN) quarter?: string;
  @IsOptional() @IsProgrammeId() programmeId?: string;
  @IsOptional() @IsInt() @Min(2000) @Max(2100) year?: number;
  /** the ETag of a public document the caller holds (the gateway's copy): answered notModified, without content, while it is current */
  @IsOptional() @IsString() @MaxLength(100) ifNoneMatch?: string;
}

export class MatchingCheckDto {
  /** why the check was run (kept in the audit record) */
  @IsOptional() @IsString() @MaxLength(200) note?: string;
}

// ---- views (replies) -----------------------------------------------------------------------

const PAYEE_TYPES = ['provider', 'enterprise'] as const;

/** Claims of a run per state (only the states it has claims in). */
export class RunCountsView {
  @ApiInt({ required: false }) pending?: number;
  @ApiInt({ required: false }) in_review?: number;
  @ApiInt({ required: false }) approved?: number;
  @ApiInt({ required: false }) held?: number;
  @ApiInt({ required: false }) returned?: number;
  @ApiInt({ required: false }) deferred?: number;
  @ApiInt({ required: false }) rejected?: number;
  @ApiInt({ required: false }) paid?: number;
}

export class CalendarVersionRefView {
  @ApiInt() year: number;
  @ApiInt() version: number;
}

/** The publicity window of a published run (R-PUB-1). */
export class PublicationView {
  @ApiDate() publishedOn: string;
  @ApiDate({ description: 'first working day of the window' }) firstDay: string;
  @ApiDate({ description: 'last working day of the window' }) lastDay: string;
  @ApiInstant({ description: '24:00 of the last day, Asia/Shanghai' }) closesAt: string;
  @ApiInt() workingDays: number;
  /** the working-day calendar versions the window was counted on (SPEC 3) */
  @ApiView([CalendarVersionRefView], { description: 'the working-day calendar versions the window was counted on (SPEC 3)' }) calendar: CalendarVersionRefView[];
}

export class RunView {
  @ApiUuid() id: string;
  @ApiText({ example: 'JS-2026' }) programmeId: string;
  @ApiEnum(PROVINCES) province: string;
  @ApiText({ example: '2026Q3' }) quarter: string;
  @ApiEnum(RUN_STATES) state: RunState;
  @ApiText({ description: 'seed of the inspection sample; the same seed draws the same sample' }) seed: string;
  @ApiInt() sampleRateBp: number;
  @ApiInt() collectedCount: number;
  @ApiFen() collectedFen: FenOut;
  @ApiView(RunCountsView) counts: Partial<Record<SettlementClaimState, number>>;
  @ApiView(PublicationView, { nullable: true, description: 'null until published' })
  publication: {
    publishedOn: string;
    firstDay: string;
    lastDay: string;
    closesAt: string;
    workingDays: number;
    /** the working-day calendar versions the window was counted on (SPEC 3) */
    calendar: Array<{ year: number; version: number }>;
  } | null;
  @ApiInt() instructionCount: number;
  @ApiFen() instructionFen: FenOut;
  @ApiView(RunPaymentsView, { nullable: true, description: "the run's payment instructions by bank status, once written (null before disbursement)" })
  payments: RunPaymentsView | null;
  @ApiInstant() createdAt: string;
  @ApiInstant() updatedAt: string;
}

export class RunPage {
  @ApiView([RunView]) items: RunView[];
}

export class RunClaimView {
  @ApiUuid() claimId: string;
  @ApiUuid() orderId: string;
  @ApiText() programmeId: string;
  @ApiUuid() enterpriseId: string;
  @ApiText() enterpriseName: string;
  @ApiUuid() regionId: string;
  @ApiUuid() providerId: string;
  @ApiText() providerName: string;
  @ApiText() providerCreditCode: string;
  @ApiEnum(PROVIDER_PROVINCES) providerProvince: string;
  @ApiEnum(PAYEE_TYPES) payeeType: 'provider' | 'enterprise';
  @ApiUuid() payeeId: string;
  @ApiFen() amountFen: FenOut;
  @ApiFen() voucherFen: FenOut;
  @ApiText() invoiceNumber: string;
  @ApiInstant() submittedAt: string;
  @ApiEnum(SETTLEMENT_CLAIM_STATES) state: SettlementClaimState;
  @ApiBool({ description: 'drawn for on-site inspection' }) sampled: boolean;
  @ApiBool({ description: 'its invoice number backs another claim too (R-CLAIM-2)' }) flagged: boolean;
  @ApiText({ nullable: true }) decisionReason: string | null;
  @ApiInstant({ nullable: true }) paidAt: string | null;
}

export class RunClaimPage {
  @ApiView([RunClaimView]) items: RunClaimView[];
}

export class ReviewResult {
  @ApiUuid() runId: string;
  @ApiInt() approved: number;
  @ApiInt() rejected: number;
  @ApiInt() returned: number;
  /** claims still waiting for a decision (sampled or flagged ones need an explicit one) */
  @ApiInt({ description: 'claims still waiting for a decision (sampled or flagged ones need an explicit one)' }) inReview: number;
  @ApiInt() sampledInReview: number;
}

export class InstructionView {
  @ApiUuid() id: string;
  @ApiUuid() runId: string;
  @ApiText() programmeId: string;
  @ApiEnum(PAYEE_TYPES) payeeType: 'provider' | 'enterprise';
  @ApiUuid() payeeId: string;
  @ApiText() payeeName: string;
  @ApiInt() claimCount: number;
  @ApiFen() totalFen: FenOut;
  @ApiInstant() createdAt: string;
  @ApiEnum(['run', 'reissue'], { description: "run: the run's own instruction to the payee; reissue: pays again an earlier run's returned or held one" }) kind: 'run' | 'reissue';
  @ApiUuid({ nullable: true, description: 'for a reissue: the instruction it pays again' }) reissueOf: string | null;
  @ApiText({ description: 'the pain.001 EndToEndId (the id without hyphens), by which the bank names it' }) endToEndId: string;
  @ApiInt({ nullable: true, description: "the payee's account version it was written for; null when none was on file (held)" }) accountVersion: number | null;
  @ApiEnum(BANK_STATUSES) bankStatus: BankStatus;
  @ApiText({ nullable: true }) bankReasonCode: string | null;
  @ApiText({ nullable: true }) bankReason: string | null;
  @ApiInstant({ nullable: true }) bankStatusAt: string | null;
}

export class InstructionPage {
  @ApiView([InstructionView]) items: InstructionView[];
  @ApiFen({ description: 'Σ of all the run\'s instructions, all pages' }) totalFen: FenOut;
  @ApiInt({ description: 'instructions of the run, all pages' }) count: number;
}

export class PublicityItemView {
  @ApiUuid() claimId: string;
  @ApiText() enterpriseName: string;
  @ApiText() providerName: string;
  @ApiEnum(PROVIDER_PROVINCES) providerProvince: string;
  @ApiFen() amountFen: FenOut;
  @ApiFen() voucherFen: FenOut;
  @ApiBool({ description: 'an open objection holds it out of payment' }) held: boolean;
}

export class PublicityRunSummary {
  @ApiUuid() runId: string;
  @ApiText() programmeId: string;
  @ApiText() quarter: string;
  @ApiDate() publishedOn: string;
  @ApiDate() firstDay: string;
  @ApiDate() lastDay: string;
  @ApiInstant() closesAt: string;
  @ApiBool({ description: 'objections may be filed now' }) open: boolean;
  @ApiInt() claimCount: number;
  @ApiFen() voucherFen: FenOut;
}

export class PublicityPage {
  @ApiView([PublicityRunSummary]) runs: PublicityRunSummary[];
  @ApiView([PublicityItemView], { required: false, description: 'the published list, when one run is asked for' }) items?: PublicityItemView[];
}

export const OBJECTION_STATUSES = ['open', 'upheld', 'dismissed', 'superseded'] as const;

export class ObjectionView {
  @ApiUuid() id: string;
  @ApiUuid() runId: string;
  @ApiUuid() claimId: string;
  @ApiText() objectorName: string;
  @ApiText() objectorContact: string;
  @ApiText() reason: string;
  @ApiEnum(OBJECTION_STATUSES) status: 'open' | 'upheld' | 'dismissed' | 'superseded';
  @ApiText({ nullable: true }) decisionReason: string | null;
  @ApiInstant() filedAt: string;
  @ApiInstant({ nullable: true }) decidedAt: string | null;
}

/** The operator's one decision on all open objections of a claim. */
export class ClaimObjectionsDecidedView {
  @ApiUuid() runId: string;
  @ApiUuid() claimId: string;
  @ApiEnum(['upheld', 'dismissed']) outcome: 'upheld' | 'dismissed';
  @ApiInt({ description: 'the open objections decided together, duplicates included' }) objectionsDecided: number;
  @ApiEnum(['rejected', 'deferred'], { description: 'rejected (upheld: V goes back to the budget) or deferred (dismissed: settled in the next run)' }) claimState: 'rejected' | 'deferred';
  @ApiText() reason: string;
  @ApiInstant() decidedAt: string;
}

export class ObjectionPage {
  @ApiView([ObjectionView]) items: ObjectionView[];
}

export class MatchingObligationView {
  @ApiUuid() id: string;
  @ApiUuid() runId: string;
  @ApiText() programmeId: string;
  @ApiUuid() regionId: string;
  @ApiUuid() enterpriseId: string;
  @ApiText() enterpriseName: string;
  @ApiInt() claimCount: number;
  @ApiFen({ description: 'V paid by the province' }) voucherFen: FenOut;
  @ApiText({ example: '1.00' }) matchingRatio: string;
  @ApiFen({ description: 'what the region owes: floor(V × ratio)' }) amountFen: FenOut;
  @ApiFen() paidFen: FenOut;
  @ApiFen() outstandingFen: FenOut;
  @ApiDate() provincialPaidOn: string;
  @ApiDate() dueOn: string;
  @ApiBool() overdue: boolean;
}

export class RegionMatchingSummary {
  @ApiUuid() regionId: string;
  @ApiBool() defaulting: boolean;
  @ApiInt() obligations: number;
  @ApiFen() owedFen: bigint;
  @ApiFen() paidFen: bigint;
  @ApiFen() outstandingFen: bigint;
  @ApiInt() overdueCount: number;
  @ApiFen() overdueFen: bigint;
}

export class MatchingReportView {
  @ApiDate() asOf: string;
  @ApiView([RegionMatchingSummary]) regions: RegionMatchingSummary[];
  @ApiView([MatchingObligationView]) obligations: MatchingObligationView[];
}

export class RegionDefaultState {
  @ApiUuid() regionId: string;
  @ApiBool() defaulting: boolean;
  @ApiInt() overdueCount: number;
  @ApiFen() overdueFen: bigint;
}

export class MatchingCheckResult {
  @ApiDate() asOf: string;
  /** regions newly flagged, and newly cleared, by this check */
  @ApiUuids({ description: 'regions newly flagged as defaulting by this check' }) defaulting: string[];
  @ApiUuids({ description: 'regions newly cleared by this check' }) caughtUp: string[];
  @ApiView([RegionDefaultState]) regions: RegionDefaultState[];
}

export class MatchingPaymentView {
  @ApiUuid() paymentId: string;
  @ApiUuid() obligationId: string;
  @ApiFen() amountFen: bigint;
  @ApiFen({ description: 'left on the obligation after this payment' }) outstandingFen: bigint;
}

export class MatchingRecordedView {
  @ApiView([MatchingPaymentView]) payments: MatchingPaymentView[];
  @ApiView(RegionDefaultState, { nullable: true }) region: RegionDefaultState | null;
  @ApiBool({ description: 'the region paid everything overdue and is no longer defaulting' }) caughtUp: boolean;
}

export class StatementProviderLineView {
  @ApiUuid() providerId: string;
  @ApiText() providerName: string;
  @ApiText() providerCreditCode: string;
  @ApiInt() claimCount: number;
  @ApiFen() totalFen: FenOut;
}

export class StatementCellView {
  @ApiText() programmeId: string;
  @ApiEnum(PROVIDER_PROVINCES) providerProvince: string;
  @ApiInt() claimCount: number;
  @ApiFen() totalFen: FenOut;
  @ApiView([StatementProviderLineView], { required: false, description: 'with detail=true' })
  providers?: Array<{ providerId: string; providerName: string; providerCreditCode: string; claimCount: number; totalFen: FenOut }>;
}

export class StatementNetView {
  @ApiEnum(PROVINCES) from: string;
  @ApiEnum(PROVIDER_PROVINCES) to: string;
  @ApiFen() paidFen: FenOut;
  @ApiFen() receivedFen: FenOut;
  @ApiFen({ description: 'paid − received; may be negative' }) netFen: FenOut;
}

export class StatementPaymentsView {
  @ApiUuid() runId: string;
  @ApiText() programmeId: string;
  @ApiView(RunPaymentsView, { nullable: true }) payments: RunPaymentsView | null;
}

export class StatementView {
  @ApiText({ nullable: true, example: '2026Q3' }) quarter: string | null;
  @ApiUuids() runIds: string[];
  @ApiView([StatementCellView]) cells: StatementCellView[];
  @ApiInt() totalCount: number;
  @ApiFen() totalFen: FenOut;
  /** Σ payment instructions of the same runs: equal to totalFen (R-CLEAR-1) */
  @ApiFen({ description: 'Σ payment instructions of the same runs: equal to totalFen (R-CLEAR-1)' }) instructionFen: FenOut;
  /** what each issuing province paid providers of each other province, and the net of each pair */
  @ApiView([StatementNetView]) net: Array<{ from: string; to: string; paidFen: FenOut; receivedFen: FenOut; netFen: FenOut }>;
  /**
   * How the runs' payments stand at the bank (SPEC 5.6 step 3): per run, its instructions settled,
   * returned, held or outstanding, and the earlier returns it paid again. The statement counts what
   * the runs settled; money the bank returned is paid again by a later run, not counted twice.
   */
  @ApiView([StatementPaymentsView], { description: "per run: its payment instructions by bank status (returned money is paid again by a later run, not counted twice)" })
  payments: Array<{ runId: string; programmeId: string; payments: RunPaymentsView | null }>;
}

export class GradeView {
  @ApiText() programmeId: string;
  @ApiInt() year: number;
  @ApiUuid() providerId: string;
  @ApiEnum(REWARD_GRADES) grade: RewardGrade;
}

export class RewardView {
  @ApiText() programmeId: string;
  @ApiInt() year: number;
  @ApiUuid() providerId: string;
  @ApiText() providerName: string;
  @ApiText() creditCode: string;
  @ApiFen() serviceTotalFen: FenOut;
  @ApiFen() uncappedFen: FenOut;
  @ApiFen() rewardFen: FenOut;
  @ApiBool() capped: boolean;
}

export class RewardPage {
  @ApiView([RewardView]) items: RewardView[];
  @ApiFen() totalFen: FenOut;
}

/** A file of a run over NATS (the HTTP routes send the file itself). */
export class ExportView {
  @ApiText({ example: 'instructions-JS-2026-2026Q3.csv' }) filename: string;
  @ApiEnum(['text/csv; charset=utf-8', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/pdf']) contentType: string;
  /** the file, base64 */
  @ApiProperty({ type: 'string', format: 'byte', description: 'the file, base64' }) content: string;
  @ApiInt() bytes: number;
  /** a public document's ETag (the notice, the list): the same bytes while the run's public state is the same */
  @ApiText({ nullable: true, description: "a published run's public document: its ETag, the same while the run's public state is" }) etag: string | null;
  @ApiBool({ description: 'the ETag named in ifNoneMatch is current: no content is sent (content is empty)' }) notModified: boolean;
}
