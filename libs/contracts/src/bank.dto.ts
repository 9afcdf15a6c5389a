import { IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { ApiBool, ApiEnum, ApiFen, ApiInstant, ApiInt, ApiText, ApiUuid, ApiView } from './api-docs';
import { IsCreditCode } from './validation';
import type { FenJson } from './events';

/** Money in a view: bigint in the service, a JSON number (or decimal string) on the wire (as FenOut of settlement.dto). */
type FenOut = bigint | FenJson;

/**
 * Payments through the bank (SPEC 5.6 step 3): the accounts money is paid from (a programme's) and
 * to (a provider unit's, an enterprise's), and the bank's answers to a run's payment file (ISO 20022
 * pain.002 status report, camt.054 notification).
 */
export const BANK_ACCOUNT_OWNERS = ['programme', 'provider', 'enterprise'] as const;
export type BankAccountOwner = (typeof BANK_ACCOUNT_OWNERS)[number];

/** A mainland bank's 12-digit CNAPS participant code (联行号), which the payment file names the bank by. */
export const CNAPS_CODE = /^\d{12}$/;
/** A mainland account number: digits, as the bank prints it without spaces. */
export const ACCOUNT_NUMBER = /^\d{8,32}$/;

export class SetBankAccountDto {
  @IsIn(BANK_ACCOUNT_OWNERS) ownerType: BankAccountOwner;
  /** programme id (JS-2026), provider unit id or enterprise id */
  @IsString() @Length(1, 64) ownerId: string;
  /** the account holder's name exactly as the bank has it (a mismatch is returned: BE01) */
  @IsString() @Length(1, 140) holderName: string;
  /** the holder's unified social credit code */
  @IsOptional() @IsCreditCode() holderCreditCode?: string;
  @IsString() @Matches(ACCOUNT_NUMBER, { message: 'accountNumber must be 8 to 32 digits' }) accountNumber: string;
  @IsString() @Length(1, 140) bankName: string;
  @IsString() @Matches(CNAPS_CODE, { message: 'bankCode must be the 12-digit CNAPS code of the account bank (联行号)' }) bankCode: string;
  /** why the details change (e.g. the answer to a returned payment) */
  @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

export class BankAccountQueryDto {
  @IsIn(BANK_ACCOUNT_OWNERS) ownerType: BankAccountOwner;
  @IsString() @Length(1, 64) ownerId: string;
}

export class ImportBankReportDto {
  /** the bank's file as XML text: pain.002 (payment status report) or camt.054 (debit/credit notification) */
  @IsString() @Length(1, 900_000) @MaxLength(900_000) content: string;
}

// ---- views (replies) -----------------------------------------------------------------------

export class BankAccountSubmitterView {
  @ApiText() sub: string;
  @ApiText() role: string;
  @ApiText() org: string;
}

export class BankAccountView {
  @ApiEnum(BANK_ACCOUNT_OWNERS) ownerType: BankAccountOwner;
  @ApiText({ description: 'programme id, provider unit id or enterprise id' }) ownerId: string;
  @ApiInt({ description: 'one more with each change; the former versions stay on file' }) version: number;
  @ApiText() holderName: string;
  @ApiText({ nullable: true }) holderCreditCode: string | null;
  @ApiText() accountNumber: string;
  @ApiText() bankName: string;
  @ApiText({ description: '12-digit CNAPS code of the account bank' }) bankCode: string;
  @ApiText({ nullable: true }) reason: string | null;
  @ApiView(BankAccountSubmitterView) submittedBy: { sub: string; role: string; org: string };
  @ApiInstant() submittedAt: string;
}

export class BankAccountSetView extends BankAccountView {
  @ApiBool({ description: 'false when the same details were already the current version' }) changed: boolean;
}

/**
 * The bank status of a payment instruction: outstanding (sent in the run's pain.001 file, no final
 * answer yet), settled, returned (with the bank's reason), held (no account on file: not sent).
 */
export const BANK_STATUSES = ['held', 'outstanding', 'settled', 'returned'] as const;
export type BankStatus = (typeof BANK_STATUSES)[number];

export class CountFen {
  @ApiInt() count: number;
  @ApiFen() fen: FenOut;
}

/** A run's payment instructions by bank status (R-LEDGER-1: instructed = settled + returned + held + outstanding). */
export class RunPaymentsView {
  @ApiView(CountFen, { description: "the run's instructions, its own and its reissues" }) instructed: CountFen;
  @ApiView(CountFen) settled: CountFen;
  @ApiView(CountFen, { description: 'returned by the bank, with its reason' }) returned: CountFen;
  @ApiView(CountFen, { description: 'not sent: the payee had no bank account on file' }) held: CountFen;
  @ApiView(CountFen, { description: "sent, no final answer from the bank yet" }) outstanding: CountFen;
  @ApiView(CountFen, { description: 'instructions of this run that pay again what an earlier run could not (returned or held)' }) reissues: CountFen;
  @ApiView(CountFen, { description: "this run's returned or held instructions still waiting for the payee's (corrected) bank details" }) waitingForDetails: CountFen;
  @ApiView(CountFen, { description: "this run's returned or held instructions paid again by a later run" }) reissuedLater: CountFen;
  @ApiBool({ description: "no instruction of the run is waiting for the bank's answer" }) reconciled: boolean;
}

export const BANK_ANSWERS = ['settled', 'returned', 'pending'] as const;
export const BANK_REPORT_OUTCOMES = ['applied', 'unchanged', 'acknowledged', 'unknown', 'amount_differs', 'conflict'] as const;

export class BankReportEntryView {
  @ApiInt() line: number;
  @ApiText({ nullable: true, description: 'the EndToEndId (or InstrId) the bank named' }) reference: string | null;
  @ApiUuid({ nullable: true, description: 'the instruction of your province it names, if any' }) instructionId: string | null;
  @ApiEnum(BANK_ANSWERS) status: 'settled' | 'returned' | 'pending';
  @ApiText({ nullable: true, description: 'ISO 20022 reason code, e.g. AC04 closed account, BE01 name does not match' }) reasonCode: string | null;
  @ApiText({ nullable: true }) reason: string | null;
  @ApiFen({ nullable: true }) amountFen: FenOut | null;
  /** applied; unchanged (already so); acknowledged (no final status yet); unknown (no such instruction of this province); amount_differs; conflict (e.g. settled after a return) */
  @ApiEnum(BANK_REPORT_OUTCOMES, { description: 'applied; unchanged (already so); acknowledged (no final status yet); unknown (no instruction of your province); amount_differs; conflict (e.g. settled after a return): only applied lines change anything' })
  outcome: 'applied' | 'unchanged' | 'acknowledged' | 'unknown' | 'amount_differs' | 'conflict';
  @ApiEnum(BANK_STATUSES, { nullable: true }) previousStatus: string | null;
}

export class BankReportView {
  @ApiUuid() id: string;
  @ApiEnum(['pain.002', 'camt.054']) format: 'pain.002' | 'camt.054';
  @ApiText() messageId: string;
  /** true when this file had been imported before: nothing was applied again */
  @ApiBool({ description: 'true when this file had been imported before: nothing was applied again' }) alreadyImported: boolean;
  @ApiInt() entryCount: number;
  @ApiInt() appliedCount: number;
  @ApiInstant() importedAt: string;
  @ApiView([BankReportEntryView]) entries: BankReportEntryView[];
}
