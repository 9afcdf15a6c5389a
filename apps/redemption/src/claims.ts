import { ProgrammeMode } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Work } from '@vc/platform';
import { Party } from './access';

/** R-CLAIM-1: the provider redeems in provider_redeems; the enterprise, reimbursed, in enterprise_reimbursed. */
export function redeemingParty(mode: ProgrammeMode): Party {
  return mode === 'enterprise_reimbursed' ? 'enterprise' : 'provider';
}

export function assertRedeemingParty(party: Party, mode: ProgrammeMode, field: string): void {
  const redeeming = redeemingParty(mode);
  if (party !== redeeming) {
    throw new DomainError(ErrorCode.FORBIDDEN, { field, message: `in mode ${mode} the claim is submitted by the ${redeeming}` });
  }
}

/** What the enterprise owed the provider: A − V, or A when it is reimbursed later. */
export function owedByEnterprise(mode: ProgrammeMode, amount: bigint, voucher: bigint): bigint {
  return mode === 'enterprise_reimbursed' ? amount : amount - voucher;
}

/** R-CLAIM-2: the invoice is for exactly A; the bank transfer shows at least what the enterprise owed. */
export function assertEvidence(amount: bigint, owed: bigint, invoiceAmount: bigint, bankAmount: bigint): void {
  if (invoiceAmount !== amount) {
    throw new DomainError(ErrorCode.INVOICE_AMOUNT_MISMATCH, {
      field: 'invoiceAmountFen',
      message: `the invoice amount must equal the order amount of ${amount} fen`,
      details: { expectedFen: amount.toString(), invoiceAmountFen: invoiceAmount.toString() },
    });
  }
  if (bankAmount < owed) {
    throw new DomainError(ErrorCode.BANK_AMOUNT_INSUFFICIENT, {
      field: 'bankAmountFen',
      message: `the bank transfer must show at least the ${owed} fen the enterprise owed`,
      details: { owedFen: owed.toString(), bankAmountFen: bankAmount.toString() },
    });
  }
}

/**
 * R-CLAIM-2: an invoice number backs at most one claim in the whole delta, in any programme.
 * (The unique index claims_invoice enforces it under concurrency; this gives the clear refusal.)
 */
export async function assertInvoiceFree(work: Work, invoiceNumber: string, orderId: string): Promise<void> {
  const [taken] = await work.query(
    `SELECT 1 FROM redemption.claims WHERE invoice_key = upper(regexp_replace($1, '\\s', '', 'g')) AND order_id <> $2`,
    [invoiceNumber, orderId],
  );
  if (taken) {
    throw new DomainError(ErrorCode.DUPLICATE_INVOICE, {
      field: 'invoiceNumber',
      message: 'this invoice number already backs a claim; the attempt is flagged for inspection',
    });
  }
}
