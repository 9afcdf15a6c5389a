import { join } from 'node:path';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import type { FenJson, ProgrammeMode } from './events';
import { ApiEnum, ApiFen, ApiInstant, ApiInt, ApiText, ApiUuid, ApiView } from './api-docs';
import { IsCreditCode, IsFen, IsProgrammeId, ToFen, MAX_PAGE_OFFSET } from './validation';

/**
 * The text of an invoice number or code as written on the invoice: up to 60 characters, any
 * spelling (full-width digits, spaces, dashes). Its form is checked by the service (libs/domain
 * invoiceIdentity): the 20 digits of a digital e-invoice, or a VAT invoice's 8-digit number with its
 * 10- or 12-digit code.
 */
const INVOICE_TEXT = /^[^\u0000-\u001f\u007f]{1,60}$/;

/** The gRPC contract of the redemption service for provider systems (package voucher.redemption.v1). */
export const VOUCHER_REDEMPTION_PROTO = join(__dirname, 'proto', 'voucher_redemption.proto');
export const VOUCHER_REDEMPTION_PACKAGE = 'voucher.redemption.v1';
export const VOUCHER_REDEMPTION_SERVICE = 'VoucherRedemption';

export const ORDER_STATUSES = ['created', 'confirmed', 'paid', 'completed', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const CLAIM_STATUSES = ['pending_review', 'approved', 'returned', 'rejected', 'paid'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

/**
 * R-ORDER-1: a provider unit offers a service contract to an enterprise for the actual service
 * amount A. The enterprise is named by its id or by its unified social credit code (one of the two).
 * The programme is the enterprise's home programme of the current year.
 */
export class CreateOrderDto {
  @IsUUID() providerId: string;
  @IsOptional() @IsUUID() enterpriseId?: string;
  @IsOptional() @IsCreditCode() enterpriseCreditCode?: string;
  @ToFen() @IsFen() amountFen: bigint;
  @IsString() @Length(1, 500) description: string;
  /** the provider system's own order number; unique per provider unit */
  @IsOptional() @IsString() @Length(1, 100) externalRef?: string;
}

export class OrderIdDto {
  @IsUUID() orderId: string;
}

export class CancelOrderDto {
  @IsUUID() orderId: string;
  @IsString() @Length(1, 500) reason: string;
}

export class ListOrdersDto {
  @IsOptional() @IsIn(ORDER_STATUSES) status?: OrderStatus;
  @IsOptional() @IsProgrammeId() programmeId?: string;
  @IsOptional() @IsUUID() providerId?: string;
  @IsOptional() @IsUUID() enterpriseId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

/** R-CLAIM-1: the evidence of a redemption claim: contract, invoice and the enterprise's bank transfer. */
export class SubmitClaimDto {
  @IsUUID() orderId: string;
  @IsString() @Length(1, 100) contractRef: string;
  @IsString() @Matches(INVOICE_TEXT, { message: 'invoiceNumber must be 1-60 characters' }) invoiceNumber: string;
  /** a VAT invoice's code (10 or 12 digits); absent for a digital e-invoice */
  @IsOptional() @IsString() @Matches(INVOICE_TEXT, { message: 'invoiceCode must be 1-60 characters' }) invoiceCode?: string;
  @ToFen() @IsFen() invoiceAmountFen: bigint;
  @IsString() @Length(1, 100) bankTransferRef: string;
  @ToFen() @IsFen() bankAmountFen: bigint;
}

/** R-CLAIM-3: a claim pending review (or returned for amendment) may be amended; absent fields stay. */
export class AmendClaimDto {
  @IsUUID() claimId: string;
  @IsOptional() @IsString() @Length(1, 100) contractRef?: string;
  @IsOptional() @IsString() @Matches(INVOICE_TEXT, { message: 'invoiceNumber must be 1-60 characters' }) invoiceNumber?: string;
  /** with invoiceNumber: a VAT invoice's code; absent, the new invoice is a digital e-invoice */
  @IsOptional() @IsString() @Matches(INVOICE_TEXT, { message: 'invoiceCode must be 1-60 characters' }) invoiceCode?: string;
  @IsOptional() @ToFen() @IsFen() invoiceAmountFen?: bigint;
  @IsOptional() @IsString() @Length(1, 100) bankTransferRef?: string;
  @IsOptional() @ToFen() @IsFen() bankAmountFen?: bigint;
  @IsString() @Length(1, 500) reason: string;
}

export class ClaimIdDto {
  @IsUUID() claimId: string;
}

export class ListClaimsDto {
  @IsOptional() @IsIn(CLAIM_STATUSES) status?: ClaimStatus;
  @IsOptional() @IsProgrammeId() programmeId?: string;
  @IsOptional() @IsUUID() orderId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

export class BalanceQueryDto {
  @IsProgrammeId() programmeId: string;
  /** the enterprise whose quota to show; an enterprise sees its own without naming it */
  @IsOptional() @IsUUID() enterpriseId?: string;
}

/** R-QUOTA-2: lapse every unused quota balance of a year after its end (Asia/Shanghai). */
export class LapseQuotaDto {
  @IsInt() @Min(2020) @Max(2100) year: number;
  /** one programme only; an operator's lapse is limited to its own province anyway */
  @IsOptional() @IsProgrammeId() programmeId?: string;
}

// ---- views (replies) -----------------------------------------------------------------------

const MODES = ['provider_redeems', 'enterprise_reimbursed'] as const;
export const LIMITED_BY = ['rate', 'quota', 'budget'] as const;

export class OrderView {
  @ApiUuid() id: string;
  @ApiText({ example: 'JS-2026' }) programmeId: string;
  /** the programme version effective when both parties had confirmed (R-PROG-1); null before */
  @ApiInt({ nullable: true, description: 'the programme version in force when both parties had confirmed (R-PROG-1); null before' })
  programmeVersion: number | null;
  @ApiEnum(MODES, { nullable: true, description: 'of that version; null before both confirmed' }) mode: ProgrammeMode | null;
  @ApiInt({ nullable: true, description: 'of that version, basis points; null before both confirmed' }) offsetRateBp: number | null;
  @ApiUuid() enterpriseId: string;
  @ApiUuid() providerId: string;
  @ApiFen({ description: 'A, the actual service amount, integer fen' }) amountFen: FenJson;
  /** V, taken from quota and budget at payment (R-OFFSET-1) */
  @ApiFen({ description: 'V, taken from quota and budget at payment (R-OFFSET-1); 0 before' }) voucherFen: FenJson;
  /** what the enterprise pays the provider: A − V (provider_redeems) or A (enterprise_reimbursed) */
  @ApiFen({ nullable: true, description: 'A − V (provider_redeems) or A (enterprise_reimbursed); null before payment' }) enterprisePaysFen: FenJson | null;
  @ApiEnum(ORDER_STATUSES) status: OrderStatus;
  @ApiText() description: string;
  @ApiText({ nullable: true, description: "the provider system's own order number" }) externalRef: string | null;
  @ApiInstant({ nullable: true }) providerConfirmedAt: string | null;
  @ApiInstant({ nullable: true }) enterpriseConfirmedAt: string | null;
  @ApiInstant({ nullable: true }) confirmedAt: string | null;
  @ApiInstant({ nullable: true }) paidAt: string | null;
  @ApiInstant({ nullable: true }) completedAt: string | null;
  @ApiInstant({ nullable: true }) cancelledAt: string | null;
  @ApiText({ nullable: true }) cancelReason: string | null;
  @ApiInstant() createdAt: string;
}

export class OrderPage {
  @ApiView([OrderView]) items: OrderView[];
}

/** Money is bigint fen here; on the wire a JSON integer (NATS, HTTP) or int64 (gRPC). */
export class VoucherQuoteView {
  @ApiUuid() orderId: string;
  @ApiText() programmeId: string;
  @ApiInt() programmeVersion: number;
  @ApiEnum(MODES) mode: ProgrammeMode;
  @ApiInt() offsetRateBp: number;
  @ApiFen() amountFen: bigint;
  /** floor(A × offsetRate) */
  @ApiFen({ description: 'floor(A × offsetRate)' }) byRateFen: bigint;
  @ApiFen() quotaLeftFen: bigint;
  @ApiFen() budgetLeftFen: bigint;
  /** V = min(byRate, quota left, budget left), if paid now; 0 when refused */
  @ApiFen({ description: 'V = min(byRate, quota left, budget left) if paid now; 0 when refused' }) voucherFen: bigint;
  @ApiFen() enterprisePaysFen: bigint;
  @ApiEnum(LIMITED_BY) limitedBy: 'rate' | 'quota' | 'budget';
  /** why the voucher would be refused now: QUOTA_EXHAUSTED, BUDGET_EXHAUSTED, PROVIDER_NOT_ACTIVE …; null when it applies */
  @ApiText({ nullable: true, description: 'the error code the payment would be refused with now (QUOTA_EXHAUSTED, BUDGET_EXHAUSTED, PROVIDER_NOT_ACTIVE …); null when it applies' })
  refusal: string | null;
}

/** The evidence an amendment proposes (only what it changes). */
export class ProposedEvidenceView {
  @ApiText({ required: false }) contractRef?: string;
  @ApiText({ required: false }) invoiceNumber?: string;
  @ApiText({ required: false, nullable: true }) invoiceCode?: string | null;
  @ApiFen({ required: false }) invoiceAmountFen?: FenJson;
  @ApiText({ required: false }) bankTransferRef?: string;
  @ApiFen({ required: false }) bankAmountFen?: FenJson;
  @ApiText() reason: string;
  @ApiInt() revision: number;
}

/**
 * R-CLAIM-3: an amendment is a proposal until settlement answers: accepted (the claim's evidence is
 * the proposed one) or refused because the claim is past review in a run (it keeps its evidence).
 */
export class ClaimAmendmentView {
  @ApiEnum(['proposed', 'accepted', 'refused']) status: 'proposed' | 'accepted' | 'refused';
  @ApiInt() revision: number;
  @ApiText({ nullable: true, description: "settlement's reason for a refusal" }) reason: string | null;
  @ApiInstant({ nullable: true }) decidedAt: string | null;
  @ApiView(ProposedEvidenceView) proposed: ProposedEvidenceView;
}

export class ClaimView {
  @ApiUuid() id: string;
  @ApiUuid() orderId: string;
  @ApiText() programmeId: string;
  @ApiInt() programmeVersion: number;
  @ApiEnum(MODES) mode: ProgrammeMode;
  @ApiUuid() enterpriseId: string;
  @ApiUuid() providerId: string;
  @ApiEnum(['provider', 'enterprise']) payeeType: 'provider' | 'enterprise';
  @ApiUuid() payeeId: string;
  @ApiFen() amountFen: FenJson;
  @ApiFen() voucherFen: FenJson;
  /** what the enterprise owed the provider: A − V, or A when reimbursed */
  @ApiFen({ description: 'what the enterprise owed the provider: A − V, or A when reimbursed' }) owedFen: FenJson;
  @ApiText() contractRef: string;
  @ApiText({ description: 'as written on the invoice' }) invoiceNumber: string;
  @ApiText({ nullable: true, description: "a VAT invoice's code; null for a digital e-invoice" }) invoiceCode: string | null;
  @ApiFen() invoiceAmountFen: FenJson;
  @ApiText() bankTransferRef: string;
  @ApiFen() bankAmountFen: FenJson;
  @ApiEnum(CLAIM_STATUSES) status: ClaimStatus;
  @ApiInt({ description: '1 when submitted, one more with each amendment (R-CLAIM-3)' }) revision: number;
  @ApiInstant() submittedAt: string;
  @ApiInstant({ nullable: true }) amendedAt: string | null;
  @ApiInstant({ nullable: true }) decidedAt: string | null;
  @ApiText({ nullable: true }) decisionReason: string | null;
  @ApiInstant({ nullable: true }) paidAt: string | null;
  @ApiView(ClaimAmendmentView, { nullable: true, description: 'the last amendment: proposed until settlement answers it (R-CLAIM-3)' })
  amendment: ClaimAmendmentView | null;
}

export class ClaimPage {
  @ApiView([ClaimView]) items: ClaimView[];
}

export class BudgetBalanceView {
  @ApiFen({ description: 'budget credited by the programme versions' }) creditedFen: bigint;
  @ApiFen() leftFen: bigint;
}

export class QuotaBalanceView {
  @ApiUuid() enterpriseId: string;
  @ApiInt() year: number;
  @ApiFen() grantedFen: bigint;
  @ApiFen({ description: 'spendable now: granted − used − lapsed' }) leftFen: bigint;
  @ApiFen() lapsedFen: bigint;
}

export class BalanceView {
  @ApiText() programmeId: string;
  @ApiEnum(['open', 'closed'], { nullable: true, description: 'null when redemption has not heard of the programme' }) status: 'open' | 'closed' | null;
  @ApiInt({ nullable: true }) year: number | null;
  @ApiInt({ nullable: true }) version: number | null;
  @ApiView(BudgetBalanceView) budget: BudgetBalanceView;
  @ApiView(QuotaBalanceView, { nullable: true, description: "the enterprise's quota; null when no enterprise is named" }) quota: QuotaBalanceView | null;
}

export class ProgrammeLapseView {
  @ApiText() programmeId: string;
  @ApiInt() balancesLapsed: number;
  @ApiFen() lapsedFen: bigint;
}

export class QuotaLapseView {
  @ApiInt() year: number;
  @ApiInt() balancesLapsed: number;
  @ApiFen() lapsedFen: bigint;
  @ApiView([ProgrammeLapseView]) programmes: ProgrammeLapseView[];
}
