import { join } from 'node:path';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import type { FenJson, ProgrammeMode } from './events';
import { IsCreditCode, IsFen, ToFen } from './validation';

const PROGRAMME_ID = /^(SH|JS|ZJ|AH)-\d{4}$/;
/** Invoice numbers (发票号码) are digits, sometimes with letters or dashes; compared without case and spaces. */
const INVOICE_NUMBER = /^[A-Za-z0-9][A-Za-z0-9 -]{0,48}[A-Za-z0-9]$|^[A-Za-z0-9]$/;

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
  @IsOptional() @IsString() @Matches(PROGRAMME_ID) programmeId?: string;
  @IsOptional() @IsUUID() providerId?: string;
  @IsOptional() @IsUUID() enterpriseId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

/** R-CLAIM-1: the evidence of a redemption claim: contract, invoice and the enterprise's bank transfer. */
export class SubmitClaimDto {
  @IsUUID() orderId: string;
  @IsString() @Length(1, 100) contractRef: string;
  @IsString() @Matches(INVOICE_NUMBER, { message: 'invoiceNumber must be 1-50 letters, digits, spaces or dashes' }) invoiceNumber: string;
  @ToFen() @IsFen() invoiceAmountFen: bigint;
  @IsString() @Length(1, 100) bankTransferRef: string;
  @ToFen() @IsFen() bankAmountFen: bigint;
}

/** R-CLAIM-3: a claim pending review (or returned for amendment) may be amended; absent fields stay. */
export class AmendClaimDto {
  @IsUUID() claimId: string;
  @IsOptional() @IsString() @Length(1, 100) contractRef?: string;
  @IsOptional() @IsString() @Matches(INVOICE_NUMBER, { message: 'invoiceNumber must be 1-50 letters, digits, spaces or dashes' }) invoiceNumber?: string;
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
  @IsOptional() @IsString() @Matches(PROGRAMME_ID) programmeId?: string;
  @IsOptional() @IsUUID() orderId?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

export class BalanceQueryDto {
  @IsString() @Matches(PROGRAMME_ID) programmeId: string;
  /** the enterprise whose quota to show; an enterprise sees its own without naming it */
  @IsOptional() @IsUUID() enterpriseId?: string;
}

/** R-QUOTA-2: lapse every unused quota balance of a year after its end (Asia/Shanghai). */
export class LapseQuotaDto {
  @IsInt() @Min(2020) @Max(2100) year: number;
  /** one programme only; an operator's lapse is limited to its own province anyway */
  @IsOptional() @IsString() @Matches(PROGRAMME_ID) programmeId?: string;
}

export interface OrderView {
  id: string;
  programmeId: string;
  /** the programme version effective when both parties had confirmed (R-PROG-1); null before */
  programmeVersion: number | null;
  mode: ProgrammeMode | null;
  offsetRateBp: number | null;
  enterpriseId: string;
  providerId: string;
  amountFen: FenJson;
  /** V, taken from quota and budget at payment (R-OFFSET-1) */
  voucherFen: FenJson;
  /** what the enterprise pays the provider: A − V (provider_redeems) or A (enterprise_reimbursed) */
  enterprisePaysFen: FenJson | null;
  status: OrderStatus;
  description: string;
  externalRef: string | null;
  providerConfirmedAt: string | null;
  enterpriseConfirmedAt: string | null;
  confirmedAt: string | null;
  paidAt: string | null;
  completedAt: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  createdAt: string;
}

/** Money is bigint fen here; on the wire a JSON integer (NATS, HTTP) or int64 (gRPC). */
export interface VoucherQuoteView {
  orderId: string;
  programmeId: string;
  programmeVersion: number;
  mode: ProgrammeMode;
  offsetRateBp: number;
  amountFen: bigint;
  /** floor(A × offsetRate) */
  byRateFen: bigint;
  quotaLeftFen: bigint;
  budgetLeftFen: bigint;
  /** V = min(byRate, quota left, budget left), if paid now; 0 when refused */
  voucherFen: bigint;
  enterprisePaysFen: bigint;
  limitedBy: 'rate' | 'quota' | 'budget';
  /** why the voucher would be refused now: QUOTA_EXHAUSTED, BUDGET_EXHAUSTED, PROVIDER_NOT_ACTIVE …; null when it applies */
  refusal: string | null;
}

export interface ClaimView {
  id: string;
  orderId: string;
  programmeId: string;
  programmeVersion: number;
  mode: ProgrammeMode;
  enterpriseId: string;
  providerId: string;
  payeeType: 'provider' | 'enterprise';
  payeeId: string;
  amountFen: FenJson;
  voucherFen: FenJson;
  /** what the enterprise owed the provider: A − V, or A when reimbursed */
  owedFen: FenJson;
  contractRef: string;
  invoiceNumber: string;
  invoiceAmountFen: FenJson;
  bankTransferRef: string;
  bankAmountFen: FenJson;
  status: ClaimStatus;
  revision: number;
  submittedAt: string;
  amendedAt: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  paidAt: string | null;
}

export interface BalanceView {
  programmeId: string;
  status: 'open' | 'closed' | null;
  year: number | null;
  version: number | null;
  budget: { creditedFen: bigint; leftFen: bigint };
  quota: { enterpriseId: string; year: number; grantedFen: bigint; leftFen: bigint; lapsedFen: bigint } | null;
}

export interface QuotaLapseView {
  year: number;
  balancesLapsed: number;
  lapsedFen: bigint;
  programmes: Array<{ programmeId: string; balancesLapsed: number; lapsedFen: bigint }>;
}
