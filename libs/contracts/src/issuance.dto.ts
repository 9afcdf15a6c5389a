import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { IsCreditCode, IsFen, ToFen } from './validation';

const PROGRAMME_ID = /^(SH|JS|ZJ|AH)-\d{4}$/;

/** SPEC 4: every parameter of a programme; rates in basis points (2500 = 25 %), money in fen. */
export class ProgrammeParametersDto {
  @IsInt() @Min(1) @Max(10000) offsetRateBp: number;
  @ToFen() @IsFen() annualCapFen: bigint;
  @ToFen() @IsFen() budgetFen: bigint;
  @IsIn(['provider_redeems', 'enterprise_reimbursed']) mode: 'provider_redeems' | 'enterprise_reimbursed';
  @IsInt() @Min(1) @Max(30) publicityWorkingDays: number;
  @IsInt() @Min(1) @Max(24) matchingDeadlineMonths: number;
  /** at most 5 % (R-REWARD-1) */
  @IsInt() @Min(0) @Max(500) rewardRateBp: number;
  @ToFen() @IsFen() rewardCapFen: bigint;
}

export class CreateProgrammeDto extends ProgrammeParametersDto {
  @IsInt() @Min(2020) @Max(2100) year: number;
}

export class UpdateProgrammeDto extends ProgrammeParametersDto {
  @IsString() @Matches(PROGRAMME_ID) programmeId: string;
}

export class ProgrammeIdDto {
  @IsString() @Matches(PROGRAMME_ID) programmeId: string;
}

export class ListProgrammesDto {
  @IsOptional() @IsIn(['SH', 'JS', 'ZJ', 'AH']) province?: string;
  @IsOptional() @IsInt() @Min(2020) @Max(2100) year?: number;
}

export class CreateRegionDto {
  @IsString() @Length(1, 100) name: string;
  /** exact decimal, e.g. '1.00' (the default) */
  @IsOptional() @IsString() @Matches(/^\d{1,3}(\.\d{1,4})?$/) matchingRatio?: string;
}

export class UpdateRegionDto {
  @IsUUID() regionId: string;
  @IsOptional() @IsString() @Matches(/^\d{1,3}(\.\d{1,4})?$/) matchingRatio?: string;
  @IsOptional() @IsIn(['active', 'withdrawn']) status?: 'active' | 'withdrawn';
  @IsString() @Length(1, 500) reason: string;
}

export class RegionIdDto {
  @IsUUID() regionId: string;
}

export class ListRegionsDto {
  @IsOptional() @IsIn(['SH', 'JS', 'ZJ', 'AH']) province?: string;
}

export class RegisterEnterpriseDto {
  @IsCreditCode() creditCode: string;
  @IsString() @Length(1, 200) name: string;
  @IsUUID() regionId: string;
}

export class DecideEnterpriseDto {
  @IsUUID() enterpriseId: string;
  @IsIn(['approve', 'reject']) decision: 'approve' | 'reject';
  @ValidateIf((o: DecideEnterpriseDto) => o.decision === 'reject') @IsString() @Length(1, 500) reason?: string;
}

export class SetSmeRegistrationDto {
  @IsUUID() enterpriseId: string;
  @IsInt() @Min(2020) @Max(2100) year: number;
  /** 科技型中小企业入库登记编号 */
  @IsString() @Matches(/^[0-9A-Z]{8,30}$/) registrationNumber: string;
}

export class EnterpriseIdDto {
  @IsUUID() enterpriseId: string;
}

export class ListEnterprisesDto {
  @IsOptional() @IsUUID() regionId?: string;
  @IsOptional() @IsIn(['pending', 'approved', 'rejected']) status?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

export class ClaimQuotaDto {
  @IsUUID() enterpriseId: string;
  @ToFen() @IsFen() amountFen: bigint;
  /** defaults to the current year in Asia/Shanghai */
  @IsOptional() @IsInt() @Min(2020) @Max(2100) year?: number;
}

export class QuotaQueryDto {
  @IsUUID() enterpriseId: string;
  @IsOptional() @IsInt() @Min(2020) @Max(2100) year?: number;
}

export interface ProgrammeView {
  id: string;
  province: string;
  year: number;
  status: 'draft' | 'open' | 'closed';
  version: number;
  offsetRateBp: number;
  annualCapFen: bigint;
  budgetFen: bigint;
  mode: 'provider_redeems' | 'enterprise_reimbursed';
  publicityWorkingDays: number;
  matchingDeadlineMonths: number;
  rewardRateBp: number;
  rewardCapFen: bigint;
  effectiveFrom: string | null;
}

export interface RegionView {
  id: string;
  province: string;
  name: string;
  matchingRatio: string;
  status: 'active' | 'withdrawn';
  defaulting: boolean;
}

export interface EnterpriseView {
  id: string;
  creditCode: string;
  name: string;
  province: string;
  regionId: string;
  status: 'pending' | 'approved' | 'rejected';
  decisionReason: string | null;
  smeRegistrations: Array<{ year: number; registrationNumber: string }>;
}

export interface QuotaView {
  enterpriseId: string;
  programmeId: string;
  year: number;
  capFen: bigint;
  claimedFen: bigint;
  remainingCapFen: bigint;
  /** valid to 24:00 of 31 December, Asia/Shanghai (R-QUOTA-2) */
  validUntil: string;
  claims: Array<{ id: string; amountFen: bigint; createdAt: string }>;
}
