import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { ClaimView, Events, Principal, Role, SubmitClaimDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { assertParty } from '../access';
import { assertEvidence, assertInvoiceFree, assertRedeemingParty, DUPLICATE_INVOICE_MESSAGE, holdInvoiceKey, invoiceOf, owedByEnterprise, redeemingParty } from '../claims';
import { claimViewAndEvent, findOrder, mapPg } from '../sql/redemption.sql';
import { InvoiceFlags } from './invoice-flags';

/**
 * R-CLAIM-1..3: after the service is completed the redeeming party claims the voucher part with
 * its evidence. One claim per order; an invoice number backs one claim in the whole delta, and a
 * second attempt with it is refused and flagged for inspection.
 */
@Injectable()
export class SubmitClaimUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly flags: InvoiceFlags) {}

  async execute(principal: Principal, dto: SubmitClaimDto, idempotencyKey?: string): Promise<ClaimView> {
    requireRole(principal, Role.Provider, Role.Enterprise);
    const invoice = invoiceOf(dto.invoiceNumber, dto.invoiceCode);
    try {
      return await mapPg(() =>
        this.uow.idempotent(principal, 'claim.submit', idempotencyKey, dto, async (work) => {
          // The order row lock serialises claims of one order.
          const order = await findOrder(work, dto.orderId, true);
          const party = assertParty(principal, order);
          const o = order!;
          if (o.status !== 'completed') {
            throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'orderId', message: `order is ${o.status}; a claim follows the completed service` });
          }
          const mode = o.mode!;
          assertRedeemingParty(party, mode, 'orderId');
          const [existing] = await work.query(`SELECT id FROM redemption.claims WHERE order_id = $1`, [o.id]);
          if (existing) throw new DomainError(ErrorCode.CLAIM_EXISTS, { field: 'orderId', message: 'the order already has a claim; amend it while it is pending review' });
          await assertInvoiceFree(work, invoice.key, null);
          const owed = owedByEnterprise(mode, o.amount_fen, o.voucher_fen);
          assertEvidence(o.amount_fen, owed, dto.invoiceAmountFen, dto.bankAmountFen);
          const payee = redeemingParty(mode);
          const [row] = await work.query<{ id: string }>(
            `INSERT INTO redemption.claims (order_id, programme_id, programme_version, mode, enterprise_id, enterprise_credit_code, provider_id,
                                            provider_credit_code, payee_type, payee_id, amount_fen, voucher_fen, owed_fen, contract_ref,
                                            invoice_number, invoice_code, invoice_key, invoice_amount_fen, bank_transfer_ref, bank_amount_fen, status,
                                            submitted_by, submitted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 'pending_review', $21, $22)
             ON CONFLICT DO NOTHING RETURNING id`,
            [o.id, o.programme_id, o.programme_version, mode, o.enterprise_id, o.enterprise_credit_code, o.provider_id, o.provider_credit_code,
              payee, payee === 'provider' ? o.provider_id : o.enterprise_id, o.amount_fen.toString(), o.voucher_fen.toString(), owed.toString(),
              dto.contractRef, dto.invoiceNumber, dto.invoiceCode ?? null, invoice.key, dto.invoiceAmountFen.toString(), dto.bankTransferRef,
              dto.bankAmountFen.toString(), principal.sub, this.clock.now()],
          );
          // Lost a race on the invoice with a concurrent claim (or amendment) of another order: the
          // key is held in one place, whose primary key decides.
          if (!row || !(await holdInvoiceKey(work, invoice.key, row.id, 'current'))) {
            throw new DomainError(ErrorCode.DUPLICATE_INVOICE, { field: 'invoiceNumber', message: DUPLICATE_INVOICE_MESSAGE });
          }
          await work.audit({ action: 'claim.submitted', entityType: 'claim', entityId: row.id, data: dto });
          const { view, event } = await claimViewAndEvent(work, row.id);
          await work.emit({ subject: Events.claimSubmitted, aggregateType: 'claim', aggregateId: row.id, payload: event });
          return view;
        }),
      );
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.DUPLICATE_INVOICE) await this.flags.record(principal, dto.orderId, dto.invoiceNumber, invoice.key);
      throw err;
    }
  }
}
