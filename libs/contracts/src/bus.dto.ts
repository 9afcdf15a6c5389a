import { ApiProperty } from '@nestjs/swagger';
import { IsProgrammeId } from './validation';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { ApiEnum, ApiInstant, ApiInt, ApiText, ApiUuid, ApiView } from './api-docs';

export const QUARANTINE_REASONS = ['unsigned', 'unknown_key', 'bad_signature', 'wrong_owner', 'subject_mismatch', 'not_an_envelope', 'invalid_payload', 'replayed', 'unknown_type'] as const;

/** A page of the events a service did not apply, oldest first (keyset paging by id). */
export class QuarantineQueryDto {
  @IsOptional() @IsString() @Matches(/^\d{1,18}$/, { message: 'after must be an id (up to 18 digits)' }) after?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsIn(QUARANTINE_REASONS) reason?: (typeof QUARANTINE_REASONS)[number];
}

/** An event a service received and did not apply, with why. */
export class QuarantinedEventView {
  @ApiText({ description: 'position in the quarantine; page on with `after`', example: '7' }) id!: string;
  @ApiInstant() receivedAt!: string;
  @ApiText({ description: 'the consumer group that refused it', example: 'settlement-projection' }) consumer!: string;
  @ApiText({ example: 'voucher.events.claim.amended' }) subject!: string;
  @ApiInt({ nullable: true, description: 'its sequence in the event stream' }) streamSeq!: number | null;
  @ApiEnum(QUARANTINE_REASONS) reason!: (typeof QUARANTINE_REASONS)[number];
  @ApiText({ example: 'voucher.events.claim.amended is redemption’s to emit, not registry’s' }) detail!: string;
  @ApiText({ nullable: true }) eventId!: string | null;
  @ApiText({ nullable: true }) eventType!: string | null;
  @ApiText({ nullable: true, description: 'the service it claims to come from (Vc-Signer), as received' }) signer!: string | null;
  @ApiText({ nullable: true }) keyId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'the message headers as received' }) headers!: Record<string, string>;
  @ApiText({ description: 'the message as received (at most 64 KiB of it)' }) body!: string;
  @ApiInt() bodyBytes!: number;
}

export class QuarantinePage {
  @ApiView([QuarantinedEventView]) items!: QuarantinedEventView[];
  @ApiText({ nullable: true, description: 'pass as `after` for the next page; null on the last page' }) nextAfter!: string | null;
}

/** Claims per confirmation request: about 110 bytes each, well under NATS's 1 MB payload. */
export const CONFIRM_CLAIMS_MAX = 2000;

/**
 * Settlement → redemption, with settlement's service credentials: the claims a run is about to pay,
 * column by column (the i-th claim is claimIds[i] with payeeTypes[i], payeeIds[i], voucherFen[i]),
 * to be confirmed against redemption's own records before any instruction is written.
 */
export class ConfirmClaimsDto {
  @IsProgrammeId() programmeId!: string;
  @IsUUID('all') runId!: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(CONFIRM_CLAIMS_MAX) @IsUUID('all', { each: true }) claimIds!: string[];
  @IsArray() @ArrayMaxSize(CONFIRM_CLAIMS_MAX) @IsIn(['provider', 'enterprise'], { each: true }) payeeTypes!: Array<'provider' | 'enterprise'>;
  @IsArray() @ArrayMaxSize(CONFIRM_CLAIMS_MAX) @IsUUID('all', { each: true }) payeeIds!: string[];
  @IsArray() @ArrayMaxSize(CONFIRM_CLAIMS_MAX) @Matches(/^[1-9]\d{0,12}$/, { each: true, message: 'voucherFen must be positive amounts of fen as decimal strings' }) voucherFen!: string[];
}

/** One way settlement's copy of a claim and redemption's own record of it differ. */
export class ClaimDifference {
  @ApiUuid() claimId!: string;
  /** missing: redemption has no such claim; state: it does not hold the claim approved by this run */
  @ApiEnum(['missing', 'programmeId', 'payeeType', 'payeeId', 'voucherFen', 'state']) field!: 'missing' | 'programmeId' | 'payeeType' | 'payeeId' | 'voucherFen' | 'state';
  @ApiText({ nullable: true }) settlement!: string | null;
  @ApiText({ nullable: true }) redemption!: string | null;
}

export class ConfirmClaimsView {
  @ApiInt() checked!: number;
  @ApiView([ClaimDifference], { description: 'the first differences (at most 100); `differing` counts them all' }) differences!: ClaimDifference[];
  @ApiInt() differing!: number;
}

export const CONFIRM_DIFFERENCES_SHOWN = 100;
