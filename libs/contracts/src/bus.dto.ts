import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';

export const QUARANTINE_REASONS = ['unsigned', 'unknown_key', 'bad_signature', 'wrong_owner', 'subject_mismatch', 'not_an_envelope', 'invalid_payload', 'replayed', 'unknown_type'] as const;

/** A page of the events a service did not apply, oldest first (keyset paging by id). */
export class QuarantineQueryDto {
  @IsOptional() @IsString() @Matches(/^\d{1,18}$/, { message: 'after must be an id (up to 18 digits)' }) after?: string;
  @IsOptional() @IsInt() @Min(1) @Max(500) limit?: number;
  @IsOptional() @IsIn(QUARANTINE_REASONS) reason?: (typeof QUARANTINE_REASONS)[number];
}

export interface QuarantinedEventView {
  id: string;
  receivedAt: string;
  consumer: string;
  subject: string;
  streamSeq: number | null;
  reason: (typeof QUARANTINE_REASONS)[number];
  detail: string;
  eventId: string | null;
  eventType: string | null;
  signer: string | null;
  keyId: string | null;
  headers: Record<string, string>;
  /** the message as received (at most 64 KiB of it) */
  body: string;
  bodyBytes: number;
}

export interface QuarantinePage {
  items: QuarantinedEventView[];
  nextAfter: string | null;
}

/** Claims per confirmation request: about 110 bytes each, well under NATS's 1 MB payload. */
export const CONFIRM_CLAIMS_MAX = 2000;

/**
 * Settlement → redemption, with settlement's service credentials: the claims a run is about to pay,
 * column by column (the i-th claim is claimIds[i] with payeeTypes[i], payeeIds[i], voucherFen[i]),
 * to be confirmed against redemption's own records before any instruction is written.
 */
export class ConfirmClaimsDto {
  @Matches(/^(SH|JS|ZJ|AH)-\d{4}$/) programmeId!: string;
  @IsUUID('all') runId!: string;
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(CONFIRM_CLAIMS_MAX) @IsUUID('all', { each: true }) claimIds!: string[];
  @IsArray() @ArrayMaxSize(CONFIRM_CLAIMS_MAX) @IsIn(['provider', 'enterprise'], { each: true }) payeeTypes!: Array<'provider' | 'enterprise'>;
  @IsArray() @ArrayMaxSize(CONFIRM_CLAIMS_MAX) @IsUUID('all', { each: true }) payeeIds!: string[];
  @IsArray() @ArrayMaxSize(CONFIRM_CLAIMS_MAX) @Matches(/^[1-9]\d{0,12}$/, { each: true, message: 'voucherFen must be positive amounts of fen as decimal strings' }) voucherFen!: string[];
}

/** One way settlement's copy of a claim and redemption's own record of it differ. */
export interface ClaimDifference {
  claimId: string;
  /** missing: redemption has no such claim; state: it does not hold the claim approved by this run */
  field: 'missing' | 'programmeId' | 'payeeType' | 'payeeId' | 'voucherFen' | 'state';
  settlement: string | null;
  redemption: string | null;
}

export interface ConfirmClaimsView {
  checked: number;
  /** at most CONFIRM_DIFFERENCES_SHOWN; `differing` counts them all */
  differences: ClaimDifference[];
  differing: number;
}

export const CONFIRM_DIFFERENCES_SHOWN = 100;
