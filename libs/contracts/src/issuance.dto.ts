import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { PROVINCES } from './principal';
import { ApiBool, ApiEnum, ApiFen, ApiInstant, ApiInt, ApiText, ApiUuid, ApiView } from './api-docs';
import { IsCreditCode, IsFen, IsProgrammeId, ToFen, MAX_PAGE_OFFSET } from './validation';

/** An exact non-negative decimal with at most 3 integer and 4 fraction digits ('1.00', '0.5'); never a float. */
export const MATCHING_RATIO_PATTERN = /^\d{1,3}(\.\d{1,4})?$/;

const YEAR_MIN = 2020;
const YEAR_MAX = 2100;

/**
 * SPEC 4: every parameter of a programme; rates in basis points (2500 = 25 %), money in fen.
 * A change of an open programme sends the whole set again and becomes a new version (R-PROG-1).
 */
export class ProgrammeParametersDto {
  /** share of the actual service amount a voucher pays, in basis points */
  @IsInt() @Min(1) @Max(10000) offsetRateBp: number;
  /** quota an enterprise may claim in the year, in fen */
  @ToFen() @IsFen() annualCapFen: bigint;
  /** total voucher money of the year, in fen; an open programme's budget may grow, never shrink */
  @ToFen() @IsFen() budgetFen: bigint;
  @IsIn(['provider_redeems', 'enterprise_reimbursed'] as const) mode: 'provider_redeems' | 'enterprise_reimbursed';
  @IsInt() @Min(1) @Max(30) publicityWorkingDays: number;
  @IsInt() @Min(1) @Max(24) matchingDeadlineMonths: number;
  /** at most 5 % (SPEC 4, R-REWARD-1) */
  @IsInt() @Min(0) @Max(500) rewardRateBp: number;
  /** reward cap per legal entity, in fen */
  @ToFen() @IsFen() rewardCapFen: bigint;
}

export class CreateProgrammeDto extends ProgrammeParametersDto {
  @IsInt() @Min(YEAR_MIN) @Max(YEAR_MAX) year: number;
}

export class UpdateProgrammeDto extends ProgrammeParametersDto {
  @IsProgrammeId() programmeId: string;
}

export class ProgrammeIdDto {
  @IsProgrammeId() programmeId: string;
}

export class ListProgrammesDto {
  @IsOptional() @IsIn(PROVINCES) province?: string;
  @IsOptional() @IsInt() @Min(YEAR_MIN) @Max(YEAR_MAX) year?: number;
}

export class CreateRegionDto {
  @IsString() @Length(1, 100) name: string;
  /** exact decimal, '1.00' when omitted (SPEC 3: regions match 1:1 by default) */
  @IsOptional() @IsString() @Matches(MATCHING_RATIO_PATTERN, { message: 'matchingRatio must be a decimal string such as "1.00"' }) matchingRatio?: string;
}

export class UpdateRegionDto {
  @IsUUID() regionId: string;
  @IsOptional() @IsString() @Matches(MATCHING_RATIO_PATTERN, { message: 'matchingRatio must be a decimal string such as "1.00"' }) matchingRatio?: string;
  @IsOptional() @IsIn(['active', 'withdrawn']) status?: 'active' | 'withdrawn';
  /** why (R-AUDIT-1) */
  @IsString() @Length(1, 500) reason: string;
}

export class RegionIdDto {
  @IsUUID() regionId: string;
}

export class ListRegionsDto {
  @IsOptional() @IsIn(PROVINCES) province?: string;
  @IsOptional() @IsIn(['active', 'withdrawn']) status?: string;
}

export class RegisterEnterpriseDto {
  @IsCreditCode() creditCode: string;
  @IsString() @Length(1, 200) name: string;
  /** the linked region of the enterprise's home province */
  @IsUUID() regionId: string;
}

export class DecideEnterpriseDto {
  @IsUUID() enterpriseId: string;
  @IsIn(['approve', 'reject']) decision: 'approve' | 'reject';
  /** required for a rejection (R-ENT-1) */
  @ValidateIf((o: DecideEnterpriseDto) => o.decision === 'reject' || o.reason !== undefined) @IsString() @Length(1, 500) reason?: string;
}

export class SetSmeRegistrationDto {
  @IsUUID() enterpriseId: string;
  @IsInt() @Min(YEAR_MIN) @Max(YEAR_MAX) year: number;
  /** 科技型中小企业入库登记编号 of that year */
  @IsString() @Matches(/^[0-9A-Z]{8,30}$/, { message: 'registrationNumber must be 8 to 30 digits or capital letters' }) registrationNumber: string;
}

export class EnterpriseIdDto {
  @IsUUID() enterpriseId: string;
}

export class ListEnterprisesDto {
  @IsOptional() @IsUUID() regionId?: string;
  @IsOptional() @IsIn(['pending', 'approved', 'rejected']) status?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

export class ClaimQuotaDto {
  @IsUUID() enterpriseId: string;
  @ToFen() @IsFen() amountFen: bigint;
  /** defaults to the current year in Asia/Shanghai; another year is refused (R-QUOTA-2) */
  @IsOptional() @IsInt() @Min(YEAR_MIN) @Max(YEAR_MAX) year?: number;
}

export class QuotaQueryDto {
  @IsUUID() enterpriseId: string;
  /** one year; without it every year with claims plus the current one */
  @IsOptional() @IsInt() @Min(YEAR_MIN) @Max(YEAR_MAX) year?: number;
}

// ---- views (replies) -----------------------------------------------------------------------

export const PROGRAMME_MODES = ['provider_redeems', 'enterprise_reimbursed'] as const;

/** The parameters of one version of a programme (SPEC 4). */
export class ProgrammeParametersView {
  /** the current version; orders record the version in force when they were confirmed (R-PROG-1) */
  @ApiInt({ description: 'orders record the version in force when both parties confirmed (R-PROG-1)' }) version: number;
  @ApiInt({ description: 'share of A the voucher pays, in basis points (2500 = 25 %)', example: 2500 }) offsetRateBp: number;
  @ApiFen({ description: 'quota an enterprise may claim in the year, integer fen' }) annualCapFen: bigint;
  @ApiFen({ description: 'voucher money of the year, integer fen' }) budgetFen: bigint;
  @ApiEnum(PROGRAMME_MODES) mode: 'provider_redeems' | 'enterprise_reimbursed';
  @ApiInt() publicityWorkingDays: number;
  @ApiInt() matchingDeadlineMonths: number;
  @ApiInt({ description: 'year-end reward rate in basis points, at most 500 (R-REWARD-1)' }) rewardRateBp: number;
  @ApiFen({ description: 'reward cap per legal entity, integer fen' }) rewardCapFen: bigint;
  /** when the current version took effect; null while draft */
  @ApiInstant({ nullable: true, description: 'when this version took effect; null while draft' }) effectiveFrom: string | null;
}

export class ProgrammeView extends ProgrammeParametersView {
  @ApiText({ example: 'JS-2026' }) id: string;
  @ApiEnum(PROVINCES) province: string;
  @ApiInt({ example: 2026 }) year: number;
  @ApiEnum(['draft', 'open', 'closed']) status: 'draft' | 'open' | 'closed';
}

export class ProgrammeVersionView extends ProgrammeParametersView {
  @ApiText({ description: 'who made this version' }) createdBy: string;
}

export class ProgrammeDetailView extends ProgrammeView {
  @ApiView([ProgrammeVersionView]) versions: ProgrammeVersionView[];
}

export class ProgrammePage {
  @ApiView([ProgrammeView]) items: ProgrammeView[];
}

export class RegionView {
  @ApiUuid() id: string;
  @ApiEnum(PROVINCES) province: string;
  @ApiText() name: string;
  /** exact decimal, at least two places: '1.00' */
  @ApiText({ description: 'exact decimal, at least two places', example: '1.00' }) matchingRatio: string;
  @ApiEnum(['active', 'withdrawn']) status: 'active' | 'withdrawn';
  /** reported by settlement (R-MATCH-1): new approvals wait until it catches up */
  @ApiBool({ description: 'overdue with its matching (R-MATCH-1): new enterprise approvals wait until it catches up' }) defaulting: boolean;
}

export class RegionPage {
  @ApiView([RegionView]) items: RegionView[];
}

export class SmeRegistrationView {
  @ApiInt() year: number;
  @ApiText() registrationNumber: string;
}

export class EnterpriseView {
  @ApiUuid() id: string;
  @ApiText() creditCode: string;
  @ApiText() name: string;
  @ApiEnum(PROVINCES) province: string;
  @ApiUuid() regionId: string;
  @ApiEnum(['pending', 'approved', 'rejected']) status: 'pending' | 'approved' | 'rejected';
  @ApiText({ nullable: true }) decisionReason: string | null;
  @ApiView([SmeRegistrationView]) smeRegistrations: SmeRegistrationView[];
}

export class EnterprisePage {
  @ApiView([EnterpriseView]) items: EnterpriseView[];
  @ApiInt({ description: 'matches of the query, all pages' }) total: number;
}

/** The reply to a quota claim: the claim and the enterprise-year after it. */
export class QuotaClaimView {
  @ApiUuid() claimId: string;
  @ApiUuid() enterpriseId: string;
  @ApiText({ example: 'JS-2026' }) programmeId: string;
  @ApiInt() year: number;
  @ApiFen() amountFen: bigint;
  @ApiFen({ description: 'the annual cap' }) capFen: bigint;
  @ApiFen({ description: 'claimed this year, this claim included' }) claimedFen: bigint;
  @ApiFen({ description: 'what may still be claimed this year' }) remainingCapFen: bigint;
  @ApiInstant({ description: 'exclusive end of validity: 00:00 of 1 January of the next year, Asia/Shanghai (R-QUOTA-2)' }) validUntil: string;
}

export class QuotaGrantView {
  @ApiUuid() claimId: string;
  @ApiFen() amountFen: bigint;
  @ApiInstant() claimedAt: string;
}

/**
 * Grants of one enterprise-year. Issuance owns the grants only: `remainingCapFen` is what may still
 * be CLAIMED this year, not what may be spent; the spendable balance (claimed − used − lapsed) lives
 * in redemption (ADR 0003) and is read on `redemption.balance.get`.
 */
export class QuotaYearView {
  @ApiInt() year: number;
  @ApiText() programmeId: string;
  @ApiFen() capFen: bigint;
  @ApiFen() claimedFen: bigint;
  @ApiFen({ description: 'what may still be claimed, not what may be spent (that is the balance at redemption)' }) remainingCapFen: bigint;
  /** unused quota redemption reported as lapsed after 31 December (R-QUOTA-2) */
  @ApiFen({ description: 'unused quota lapsed after 31 December (R-QUOTA-2)' }) lapsedFen: bigint;
  /** exclusive end of validity: 00:00 of 1 January of the next year, Asia/Shanghai (R-QUOTA-2) */
  @ApiInstant() validUntil: string;
  @ApiView([QuotaGrantView]) claims: QuotaGrantView[];
}

export class QuotaView {
  @ApiUuid() enterpriseId: string;
  /** where the live, spendable balance is read (ADR 0003) */
  @ApiEnum(['redemption.balance.get'], { description: 'where the spendable balance is read (HTTP: GET /v1/programmes/{programmeId}/balance)' })
  spendableBalanceSubject: 'redemption.balance.get';
  @ApiView([QuotaYearView]) years: QuotaYearView[];
}
