import { Type } from 'class-transformer';
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
import { IsFen, ToFen } from './validation';

/** DTOs and views of the settlement service (SPEC 5.6–5.8). Money is integer fen. */

/** Money in a view: bigint in the service, a JSON number (or decimal string) on the wire (toWire). */
export type FenOut = bigint | FenJson;

export const SETTLEMENT_PROGRAMME_ID = /^(SH|JS|ZJ|AH)-\d{4}$/;
export const QUARTER_PATTERN = /^[1-9]\d{3}Q[1-4]$/;
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
  @IsString() @Matches(SETTLEMENT_PROGRAMME_ID, { message: 'programmeId must look like JS-2026' }) programmeId: string;
  @IsString() @Matches(QUARTER_PATTERN, { message: 'quarter must look like 2026Q3' }) quarter: string;
  /** share of the collected claims drawn for on-site inspection, in basis points (default 500 = 5 %) */
  @IsOptional() @IsInt() @Min(0) @Max(10000) sampleRateBp?: number;
  /** a given seed reproduces a sample; by default a fresh one is drawn and stored */
  @IsOptional() @IsString() @Matches(/^[0-9a-f]{8,64}$/, { message: 'seed must be 8-64 lowercase hex digits' }) seed?: string;
}

export class RunIdDto {
  @IsUUID() runId: string;
}

export class ListRunsDto {
  @IsOptional() @IsString() @Matches(SETTLEMENT_PROGRAMME_ID) programmeId?: string;
  @IsOptional() @IsString() @Matches(QUARTER_PATTERN) quarter?: string;
  @IsOptional() @IsIn(RUN_STATES) state?: RunState;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
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

export class ListInstructionsDto {
  @IsUUID() runId: string;
  @IsOptional() @IsInt() @Min(1) @Max(5000) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

export class ListRunClaimsDto {
  @IsUUID() runId: string;
  @IsOptional() @IsIn(SETTLEMENT_CLAIM_STATES) state?: SettlementClaimState;
  @IsOptional() @IsBoolean() sampled?: boolean;
  @IsOptional() @IsUUID() payeeId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(1000) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

export class PublicityQueryDto {
  @IsOptional() @IsString() @Matches(SETTLEMENT_PROGRAMME_ID) programmeId?: string;
  @IsOptional() @IsUUID() runId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(1000) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

/** R-PUB-1: anyone may object during the publicity window, named and reachable. */
export class FileObjectionDto {
  @IsUUID() runId: string;
  @IsUUID() claimId: string;
  @IsString() @Length(1, 100) objectorName: string;
  /** phone or e-mail, so the centre can reach the objector */
  @IsString() @Length(3, 200) objectorContact: string;
  @IsString() @Length(1, 2000) reason: string;
}

export class DecideObjectionDto {
  @IsUUID() objectionId: string;
  @IsIn(['uphold', 'dismiss']) decision: 'uphold' | 'dismiss';
  @IsString() @Length(1, 500) reason: string;
}

export class ListObjectionsDto {
  @IsOptional() @IsUUID() runId?: string;
  @IsOptional() @IsIn(['open', 'upheld', 'dismissed', 'superseded']) status?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
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
  @IsOptional() @IsString() @Matches(SETTLEMENT_PROGRAMME_ID) programmeId?: string;
  @IsOptional() @IsBoolean() overdueOnly?: boolean;
  @IsOptional() @IsInt() @Min(1) @Max(1000) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

export class StatementQueryDto {
  @IsOptional() @IsUUID() runId?: string;
  @IsOptional() @IsString() @Matches(QUARTER_PATTERN) quarter?: string;
  @IsOptional() @IsString() @Matches(SETTLEMENT_PROGRAMME_ID) programmeId?: string;
  /** include the per-provider lines behind each total */
  @IsOptional() @IsBoolean() detail?: boolean;
}

export const REWARD_GRADES = ['excellent', 'good', 'fair', 'poor'] as const;
export type RewardGrade = (typeof REWARD_GRADES)[number];

export class GradeProviderDto {
  @IsString() @Matches(SETTLEMENT_PROGRAMME_ID) programmeId: string;
  @IsInt() @Min(2000) @Max(2100) year: number;
  @IsUUID() providerId: string;
  @IsIn(REWARD_GRADES) grade: RewardGrade;
}

export class RewardQueryDto {
  @IsString() @Matches(SETTLEMENT_PROGRAMME_ID) programmeId: string;
  @IsInt() @Min(2000) @Max(2100) year: number;
}

export const EXPORT_KINDS = ['instructions', 'publicity', 'statement', 'rewards', 'notice'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const EXPORT_FORMATS = ['csv', 'xlsx', 'pdf'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class ExportDto {
  @IsIn(EXPORT_KINDS) kind: ExportKind;
  @IsIn(EXPORT_FORMATS) format: ExportFormat;
  /** instructions, publicity, notice, statement of one run */
  @IsOptional() @IsUUID() runId?: string;
  /** statement of a quarter; rewards of a programme and year */
  @IsOptional() @IsString() @Matches(QUARTER_PATTERN) quarter?: string;
  @IsOptional() @IsString() @Matches(SETTLEMENT_PROGRAMME_ID) programmeId?: string;
  @IsOptional() @IsInt() @Min(2000) @Max(2100) year?: number;
}

export class MatchingCheckDto {
  /** why the check was run (kept in the audit record) */
  @IsOptional() @IsString() @MaxLength(200) note?: string;
}

// ---- views -------------------------------------------------------------------------------

export interface RunView {
  id: string;
  programmeId: string;
  province: string;
  quarter: string;
  state: RunState;
  seed: string;
  sampleRateBp: number;
  collectedCount: number;
  collectedFen: FenOut;
  counts: Partial<Record<SettlementClaimState, number>>;
  publication: {
    publishedOn: string;
    firstDay: string;
    lastDay: string;
    closesAt: string;
    workingDays: number;
    /** the working-day calendar versions the window was counted on (SPEC 3) */
    calendar: Array<{ year: number; version: number }>;
  } | null;
  instructionCount: number;
  instructionFen: FenOut;
  createdAt: string;
  updatedAt: string;
}

export interface RunClaimView {
  claimId: string;
  orderId: string;
  programmeId: string;
  enterpriseId: string;
  enterpriseName: string;
  regionId: string;
  providerId: string;
  providerName: string;
  providerCreditCode: string;
  providerProvince: string;
  payeeType: 'provider' | 'enterprise';
  payeeId: string;
  amountFen: FenOut;
  voucherFen: FenOut;
  invoiceNumber: string;
  submittedAt: string;
  state: SettlementClaimState;
  sampled: boolean;
  flagged: boolean;
  decisionReason: string | null;
  paidAt: string | null;
}

export interface InstructionView {
  id: string;
  runId: string;
  programmeId: string;
  payeeType: 'provider' | 'enterprise';
  payeeId: string;
  payeeName: string;
  claimCount: number;
  totalFen: FenOut;
  createdAt: string;
}

export interface PublicityItemView {
  claimId: string;
  enterpriseName: string;
  providerName: string;
  providerProvince: string;
  amountFen: FenOut;
  voucherFen: FenOut;
  held: boolean;
}

export interface ObjectionView {
  id: string;
  runId: string;
  claimId: string;
  objectorName: string;
  objectorContact: string;
  reason: string;
  status: 'open' | 'upheld' | 'dismissed' | 'superseded';
  decisionReason: string | null;
  filedAt: string;
  decidedAt: string | null;
}

export interface MatchingObligationView {
  id: string;
  runId: string;
  programmeId: string;
  regionId: string;
  enterpriseId: string;
  enterpriseName: string;
  claimCount: number;
  voucherFen: FenOut;
  matchingRatio: string;
  amountFen: FenOut;
  paidFen: FenOut;
  outstandingFen: FenOut;
  provincialPaidOn: string;
  dueOn: string;
  overdue: boolean;
}

export interface StatementCellView {
  programmeId: string;
  providerProvince: string;
  claimCount: number;
  totalFen: FenOut;
  providers?: Array<{ providerId: string; providerName: string; providerCreditCode: string; claimCount: number; totalFen: FenOut }>;
}

export interface StatementView {
  quarter: string | null;
  runIds: string[];
  cells: StatementCellView[];
  totalCount: number;
  totalFen: FenOut;
  /** Σ payment instructions of the same runs: equal to totalFen (R-CLEAR-1) */
  instructionFen: FenOut;
  /** what each issuing province paid providers of each other province, and the net of each pair */
  net: Array<{ from: string; to: string; paidFen: FenOut; receivedFen: FenOut; netFen: FenOut }>;
}

export interface RewardView {
  programmeId: string;
  year: number;
  providerId: string;
  providerName: string;
  creditCode: string;
  serviceTotalFen: FenOut;
  uncappedFen: FenOut;
  rewardFen: FenOut;
  capped: boolean;
}

export interface ExportView {
  filename: string;
  contentType: string;
  /** the file, base64 */
  content: string;
  bytes: number;
}
