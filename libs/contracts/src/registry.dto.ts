import { Type } from 'class-transformer';
import { PROVIDER_PROVINCES, PROVINCES } from './principal';
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
import { ApiProperty } from '@nestjs/swagger';
import { ApiBool, ApiDate, ApiEnum, ApiFen, ApiInstant, ApiInt, ApiText, ApiUuid, ApiUuids, ApiView } from './api-docs';
import { IsCreditCode, IsFen, IsProgrammeId, ToFen, MAX_PAGE_OFFSET, AFTER_ID } from './validation';

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

export const PROVIDER_STATUSES = ['pending_review', 'active', 'rejected', 'revoked'] as const;
export type ProviderStatus = (typeof PROVIDER_STATUSES)[number];
export const SERVICE_CATEGORIES = ['instrument_time', 'testing', 'analysis', 'inspection', 'other'] as const;

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
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
}

export class EligibilityDto {
  @IsUUID() providerId: string;
  @IsProgrammeId() programmeId: string;
}

export class PublishServiceDto {
  @IsUUID() providerId: string;
  @IsIn(SERVICE_CATEGORIES) category: string;
  @IsString() @Length(1, 200) name: string;
  @IsOptional() @IsString() @MaxLength(2000) description?: string;
  @ToFen() @IsFen() priceFen: bigint;
  @IsString() @Length(1, 50) unit: string;
}

export class ListServicesDto {
  @IsOptional() @IsUUID() providerId?: string;
  @IsOptional() @IsIn(SERVICE_CATEGORIES) category?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
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
  @IsOptional() @IsInt() @Min(0) @Max(MAX_PAGE_OFFSET) offset?: number;
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
  @IsProgrammeId() programmeId: string;
  @IsString() @Length(1, 500) reason: string;
}

export class LiftExclusionDto {
  @IsUUID() providerId: string;
  @IsProgrammeId() programmeId: string;
  @IsString() @Length(1, 500) reason: string;
}

export class AuditQueryDto {
  @IsOptional() @IsString() @Matches(AFTER_ID, { message: 'after must be an id (up to 18 digits)' }) after?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsString() @MaxLength(50) entityType?: string;
  @IsOptional() @IsString() @MaxLength(100) entityId?: string;
}

// ---- views (replies) -----------------------------------------------------------------------

export class QualificationDocumentView {
  @ApiText() name: string;
  @ApiText() reference: string;
}

export class ProviderView {
  @ApiUuid() id: string;
  @ApiText({ description: 'unified social credit code of the legal entity (GB 32100-2015)', example: '91320100MA1N2B3C40' }) creditCode: string;
  @ApiText() legalName: string;
  @ApiText() unitName: string;
  @ApiEnum(PROVIDER_KINDS) kind: ProviderKind;
  @ApiEnum(PROVIDER_PROVINCES) province: string;
  @ApiText({ nullable: true, description: 'where province is OTHER' }) provinceName: string | null;
  @ApiEnum(PROVIDER_STATUSES) status: ProviderStatus;
  @ApiBool({ description: 'true while a serious credit record against the legal entity is unrepaired (R-REG-4)' }) suspended: boolean;
  @ApiText({ nullable: true }) statusReason: string | null;
  @ApiInt() upheldComplaints: number;
  @ApiView([QualificationDocumentView]) qualificationDocuments: QualificationDocumentView[];
  @ApiInstant() createdAt: string;
}

export class ProviderPage {
  @ApiView([ProviderView]) items: ProviderView[];
  @ApiInt({ description: 'matches of the query, all pages' }) total: number;
}

export class EligibilityView {
  @ApiUuid() providerId: string;
  @ApiText({ example: 'JS-2026' }) programmeId: string;
  @ApiBool() eligible: boolean;
  @ApiEnum(['PROVIDER_NOT_ACTIVE', 'PROVIDER_EXCLUDED'], { nullable: true, description: 'the error code it would be refused with; null when eligible' }) reason: string | null;
  @ApiText() creditCode: string;
  @ApiEnum(PROVIDER_PROVINCES) province: string;
}

export class ServiceOfferingView {
  @ApiUuid() id: string;
  @ApiUuid() providerId: string;
  @ApiEnum(SERVICE_CATEGORIES) category: string;
  @ApiText() name: string;
  @ApiText({ nullable: true }) description: string | null;
  @ApiFen() priceFen: bigint;
  @ApiText({ example: '机时' }) unit: string;
  @ApiInstant() createdAt: string;
}

export class ServiceOfferingPage {
  @ApiView([ServiceOfferingView]) items: ServiceOfferingView[];
}

export class ComplaintView {
  @ApiUuid() id: string;
  @ApiUuid() providerId: string;
  @ApiEnum(['service_quality', 'violation']) category: string;
  @ApiText() description: string;
  @ApiEnum(['open', 'upheld', 'dismissed']) status: 'open' | 'upheld' | 'dismissed';
  @ApiText({ nullable: true }) decisionReason: string | null;
  @ApiText({ description: 'organisation of the principal who filed it' }) filedByOrg: string;
  @ApiInstant() createdAt: string;
  @ApiInstant({ nullable: true }) decidedAt: string | null;
}

export class ComplaintDecisionView extends ComplaintView {
  @ApiEnum(PROVIDER_STATUSES, { description: 'the provider after the decision: the third upheld complaint revokes it (R-REG-3)' }) providerStatus: string;
}

export class ComplaintPage {
  @ApiView([ComplaintView]) items: ComplaintView[];
}

export class CreditRecordView {
  @ApiUuid() id: string;
  @ApiText() creditCode: string;
  @ApiEnum(['general', 'serious']) severity: 'general' | 'serious';
  @ApiEnum([...PROVINCES, 'DELTA']) filedByProvince: string;
  @ApiText() reason: string;
  @ApiDate() effectiveFrom: string;
  @ApiDate({ nullable: true }) effectiveTo: string | null;
  @ApiEnum(['active', 'repaired']) status: 'active' | 'repaired';
  @ApiText({ nullable: true }) repairReason: string | null;
  @ApiInstant({ nullable: true }) repairedAt: string | null;
  @ApiInstant() createdAt: string;
}

export class CreditRecordFiledView extends CreditRecordView {
  @ApiUuids({ description: 'provider units this record suspended in every programme (R-REG-4)' }) suspendedUnits: string[];
}

export class CreditRecordRepairedView extends CreditRecordView {
  @ApiUuids({ description: 'provider units the repair reinstated' }) reinstatedUnits: string[];
}

export class CreditRecordPage {
  @ApiView([CreditRecordView]) items: CreditRecordView[];
}

export class ExclusionView {
  @ApiUuid() id: string;
  @ApiText({ example: 'JS-2026' }) programmeId: string;
  @ApiUuid() providerId: string;
  @ApiText() reason: string;
  @ApiInstant() createdAt: string;
  @ApiInstant({ nullable: true }) liftedAt: string | null;
}

/** One entry of a service's audit log (R-AUDIT-1): who, when, what and why. */
export class AuditEntryView {
  @ApiText({ description: 'position in the log; page on with `after`', example: '42' }) id: string;
  @ApiInstant() at: string;
  @ApiText() principalSub: string;
  @ApiText() principalRole: string;
  @ApiText() principalOrg: string;
  @ApiText({ example: 'quota.claimed' }) action: string;
  @ApiText() entityType: string;
  @ApiText() entityId: string;
  @ApiText({ nullable: true }) reason: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'what was done, as the action recorded it; money in it is integer fen' })
  data: Record<string, unknown> | null;
  @ApiText({ nullable: true }) correlationId: string | null;
}

export class AuditPage {
  @ApiView([AuditEntryView]) items: AuditEntryView[];
  @ApiText({ nullable: true, description: 'pass as `after` for the next page; null on the last page' }) nextAfter: string | null;
}
