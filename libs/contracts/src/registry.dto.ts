import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsCreditCode, IsFen, ToFen } from './validation';

/** R-REG-1: kinds admitted once their data validates; every other kind waits for review. */
export const PRIORITY_PROVIDER_KINDS = [
  'university',
  'college',
  'research_institute',
  'major_research_infrastructure',
  'key_laboratory',
  'large_instrument_centre',
  'testing_centre',
  'resource_sharing_platform',
] as const;
export const OTHER_PROVIDER_KINDS = ['enterprise_lab', 'testing_company', 'technology_service_company', 'other'] as const;
export const PROVIDER_KINDS = [...PRIORITY_PROVIDER_KINDS, ...OTHER_PROVIDER_KINDS] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const PROVIDER_PROVINCES = ['SH', 'JS', 'ZJ', 'AH', 'OTHER'] as const;
export type ProviderStatus = 'pending_review' | 'active' | 'rejected' | 'revoked';

export class QualificationDocumentDto {
  @IsString() @Length(1, 200) name: string;
  @IsString() @Length(1, 500) reference: string;
}

export class ContactDto {
  @IsString() @Length(1, 100) name: string;
  @IsString() @Matches(/^[0-9+\- ]{5,30}$/) phone: string;
  @IsOptional() @IsString() @MaxLength(200) email?: string;
}

export class ApplyProviderDto {
  @IsCreditCode() creditCode: string;
  @IsString() @Length(1, 200) legalName: string;
  /** the unit within the legal entity, e.g. a college of a university */
  @IsString() @Length(1, 200) unitName: string;
  @IsIn(PROVIDER_KINDS) kind: ProviderKind;
  @IsIn(PROVIDER_PROVINCES) province: (typeof PROVIDER_PROVINCES)[number];
  /** required when province is OTHER: providers may come from anywhere */
  @ValidateIf((o: ApplyProviderDto) => o.province === 'OTHER') @IsString() @Length(1, 50) provinceName?: string;
  @IsOptional() @IsArray() @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => QualificationDocumentDto)
  qualificationDocuments?: QualificationDocumentDto[];
  @IsOptional() @ValidateNested() @Type(() => ContactDto) contact?: ContactDto;
}

export class ReviewProviderDto {
  @IsUUID() providerId: string;
  @IsIn(['approve', 'reject']) decision: 'approve' | 'reject';
  @ValidateIf((o: ReviewProviderDto) => o.decision === 'reject') @IsString() @Length(1, 500) reason?: string;
}

export class ProviderIdDto {
  @IsUUID() providerId: string;
}

export class ListProvidersDto {
  @IsOptional() @IsIn(PROVIDER_PROVINCES) province?: string;
  @IsOptional() @IsIn(PROVIDER_KINDS) kind?: string;
  @IsOptional() @IsIn(['pending_review', 'active', 'rejected', 'revoked', 'suspended']) status?: string;
  @IsOptional() @IsString() @MaxLength(100) name?: string;
  @IsOptional() @IsCreditCode() creditCode?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

export class EligibilityDto {
  @IsUUID() providerId: string;
  @IsString() @Matches(/^(SH|JS|ZJ|AH)-\d{4}$/) programmeId: string;
}

export class PublishServiceDto {
  @IsUUID() providerId: string;
  @IsIn(['instrument_time', 'testing', 'analysis', 'inspection', 'other']) category: string;
  @IsString() @Length(1, 200) name: string;
  @IsOptional() @IsString() @MaxLength(2000) description?: string;
  @ToFen() @IsFen() priceFen: bigint;
  @IsString() @Length(1, 50) unit: string;
}

export class ListServicesDto {
  @IsOptional() @IsUUID() providerId?: string;
  @IsOptional() @IsIn(['instrument_time', 'testing', 'analysis', 'inspection', 'other']) category?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

export class FileComplaintDto {
  @IsUUID() providerId: string;
  @IsIn(['service_quality', 'violation']) category: 'service_quality' | 'violation';
  @IsString() @Length(1, 2000) description: string;
}

export class DecideComplaintDto {
  @IsUUID() complaintId: string;
  @IsIn(['uphold', 'dismiss']) decision: 'uphold' | 'dismiss';
  @IsString() @Length(1, 500) reason: string;
}

export class ListComplaintsDto {
  @IsOptional() @IsUUID() providerId?: string;
  @IsOptional() @IsIn(['open', 'upheld', 'dismissed']) status?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) offset?: number;
}

export class FileCreditRecordDto {
  @IsCreditCode() creditCode: string;
  @IsIn(['general', 'serious']) severity: 'general' | 'serious';
  @IsString() @Length(1, 1000) reason: string;
  @IsISO8601({ strict: true }) @Matches(/^\d{4}-\d{2}-\d{2}$/) effectiveFrom: string;
  @IsOptional() @IsISO8601({ strict: true }) @Matches(/^\d{4}-\d{2}-\d{2}$/) effectiveTo?: string;
}

export class RepairCreditRecordDto {
  @IsUUID() recordId: string;
  @IsString() @Length(1, 1000) reason: string;
}

export class ListCreditRecordsDto {
  @IsOptional() @IsCreditCode() creditCode?: string;
  @IsOptional() @IsIn(['active', 'repaired']) status?: string;
}

export class SetExclusionDto {
  @IsUUID() providerId: string;
  @IsString() @Matches(/^(SH|JS|ZJ|AH)-\d{4}$/) programmeId: string;
  @IsString() @Length(1, 500) reason: string;
}

export class LiftExclusionDto {
  @IsUUID() providerId: string;
  @IsString() @Matches(/^(SH|JS|ZJ|AH)-\d{4}$/) programmeId: string;
  @IsString() @Length(1, 500) reason: string;
}

export class AuditQueryDto {
  @IsOptional() @IsString() @Matches(/^\d+$/) after?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsString() @MaxLength(50) entityType?: string;
  @IsOptional() @IsString() @MaxLength(100) entityId?: string;
}

export interface ProviderView {
  id: string;
  creditCode: string;
  legalName: string;
  unitName: string;
  kind: ProviderKind;
  province: string;
  provinceName: string | null;
  status: ProviderStatus;
  /** true while a serious credit record against the legal entity is unrepaired (R-REG-4) */
  suspended: boolean;
  statusReason: string | null;
  upheldComplaints: number;
  qualificationDocuments: QualificationDocumentDto[];
  createdAt: string;
}

export interface EligibilityView {
  providerId: string;
  programmeId: string;
  eligible: boolean;
  /** ErrorCode when not eligible: PROVIDER_NOT_ACTIVE or PROVIDER_EXCLUDED */
  reason: string | null;
  creditCode: string;
  province: string;
}
