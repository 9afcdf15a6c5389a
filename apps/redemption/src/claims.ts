import { ProgrammeMode } from '@vc/contracts';
import { InvoiceIdentity, invoiceIdentity, isInvoiceRefusal } from '@vc/domain';
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
 * R-CLAIM-2: the invoice a claim cites, by its canonical key (libs/domain invoiceIdentity); an
 * invoice of none of the forms in use is refused, naming the field.
 */
export function invoiceOf(invoiceNumber: string, invoiceCode?: string | null): InvoiceIdentity {
  const identity = invoiceIdentity(invoiceNumber, invoiceCode);
  if (isInvoiceRefusal(identity)) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: identity.field, message: identity.message });
  return identity;
}

export const DUPLICATE_INVOICE_MESSAGE = 'this invoice already backs a claim; the attempt is recorded for inspection';

/**
 * R-CLAIM-2: an invoice backs at most one claim in the whole delta, in any programme; a key is held
 * by a claim's evidence or by an amendment it proposes (redemption.invoice_keys, whose primary key
 * enforces it under concurrency; this gives the clear refusal first).
 */
export async function assertInvoiceFree(work: Work, invoiceKey: string, claimId: string | null): Promise<void> {
  const [taken] = await work.query(`SELECT 1 FROM redemption.invoice_keys WHERE invoice_key = $1 AND ($2::uuid IS NULL OR claim_id <> $2::uuid)`, [invoiceKey, claimId]);
  if (taken) throw new DomainError(ErrorCode.DUPLICATE_INVOICE, { field: 'invoiceNumber', message: DUPLICATE_INVOICE_MESSAGE });
}

/** Holds an invoice key for a claim (its evidence, or a proposed amendment); false when another claim holds it. */
export async function holdInvoiceKey(work: Work, invoiceKey: string, claimId: string, holds: 'current' | 'proposed'): Promise<boolean> {
  const held = await work.query(
    `INSERT INTO redemption.invoice_keys (invoice_key, claim_id, holds) VALUES ($1, $2, $3)
     ON CONFLICT (invoice_key) DO UPDATE SET holds = EXCLUDED.holds WHERE redemption.invoice_keys.claim_id = EXCLUDED.claim_id
     RETURNING 1`,
    [invoiceKey, claimId, holds],
  );
  return held.length > 0;
}
