import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { AmendClaimDto, ClaimView, Events, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { assertParty } from '../access';
import { assertEvidence, assertInvoiceFree, assertRedeemingParty, DUPLICATE_INVOICE_MESSAGE, holdInvoiceKey, invoiceOf } from '../claims';
import { claimViewAndEvent, findClaim, mapPg } from '../sql/redemption.sql';
import { InvoiceFlags } from './invoice-flags';

const EVIDENCE = ['contractRef', 'invoiceNumber', 'invoiceAmountFen', 'bankTransferRef', 'bankAmountFen'] as const;

/**
 * R-CLAIM-3: the redeeming party amends its claim while it is pending review (or was returned for
 * amendment); the same evidence rules apply (R-CLAIM-2).
 *
 * Once a claim is in a run, settlement decides whether it is still amendable (a claim a run has
 * approved is past review, though redemption may not have heard of the approval yet). So an
 * amendment is a proposal: it is sent to settlement (claim.amended) and the claim keeps its evidence
 * until settlement answers — accepted (redemption then takes the proposed evidence) or refused (the
 * claim keeps its evidence and shows the refusal; settlement.consumer.ts). Meanwhile the claim holds
 * both invoices, the one it cites and the one it proposes: neither can back another claim.
 */
@Injectable()
export class AmendClaimUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly flags: InvoiceFlags) {}

  async execute(principal: Principal, dto: AmendClaimDto, idempotencyKey?: string): Promise<ClaimView> {
    requireRole(principal, Role.Provider, Role.Enterprise);
    if (!EVIDENCE.some((k) => dto[k] !== undefined)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'claimId', message: `an amendment changes at least one of ${EVIDENCE.join(', ')}` });
    }
    if (dto.invoiceCode !== undefined && dto.invoiceNumber === undefined) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'invoiceNumber', message: 'an invoiceCode comes with the invoiceNumber of the new invoice' });
    }
    const invoice = dto.invoiceNumber !== undefined ? invoiceOf(dto.invoiceNumber, dto.invoiceCode) : null;
    let orderId: string | undefined;
    try {
      return await mapPg(() =>
        this.uow.idempotent(principal, 'claim.amend', idempotencyKey, dto, async (work) => {
          const claim = await findClaim(work, dto.claimId, true);
          const party = assertParty(principal, claim, 'claimId');
          const c = claim!;
          orderId = c.order_id;
          assertRedeemingParty(party, c.mode, 'claimId');
          if (c.status !== 'pending_review' && c.status !== 'returned') {
            throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'claimId', message: `claim is ${c.status}; only a claim pending review is amended` });
          }
          if (c.amendment_status === 'proposed') {
            throw new DomainError(ErrorCode.ILLEGAL_STATE, {
              field: 'claimId',
              message: `amendment ${c.amendment_revision} awaits settlement's answer; amend again once it is accepted or refused`,
            });
          }
          const next = {
            contractRef: dto.contractRef ?? c.contract_ref,
            invoiceNumber: dto.invoiceNumber ?? c.invoice_number,
            invoiceCode: dto.invoiceNumber !== undefined ? (dto.invoiceCode ?? null) : c.invoice_code,
            invoiceKey: invoice?.key ?? c.invoice_key,
            invoiceAmountFen: dto.invoiceAmountFen ?? c.invoice_amount_fen,
            bankTransferRef: dto.bankTransferRef ?? c.bank_transfer_ref,
            bankAmountFen: dto.bankAmountFen ?? c.bank_amount_fen,
          };
          assertEvidence(c.amount_fen, c.owed_fen, next.invoiceAmountFen, next.bankAmountFen);
          if (invoice && invoice.key !== c.invoice_key) {
            await assertInvoiceFree(work, invoice.key, c.id);
            if (!(await holdInvoiceKey(work, invoice.key, c.id, 'proposed'))) {
              throw new DomainError(ErrorCode.DUPLICATE_INVOICE, { field: 'invoiceNumber', message: DUPLICATE_INVOICE_MESSAGE });
            }
          }
          // Revisions only grow, also past a refused proposal: each proposal is told from the others.
          const revision = Math.max(c.revision, c.amendment_revision ?? 0) + 1;
          const changes = Object.fromEntries(EVIDENCE.filter((k) => dto[k] !== undefined).map((k) => [k, dto[k]]));
          const proposed = {
            ...changes,
            ...(dto.invoiceNumber !== undefined ? { invoiceCode: next.invoiceCode, invoiceKey: next.invoiceKey } : {}),
            reason: dto.reason,
            revision,
          };
          await work.query(
            `UPDATE redemption.claims SET proposed_amendment = $2, amendment_status = 'proposed', amendment_revision = $3, amendment_reason = NULL,
                    amendment_decided_at = NULL, amended_at = $4
              WHERE id = $1`,
            [c.id, JSON.stringify(proposed, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)), revision, this.clock.now()],
          );
          await work.audit({ action: 'claim.amendment-proposed', entityType: 'claim', entityId: c.id, reason: dto.reason, data: { status: c.status, revision, changes } });
          // Settlement gets the claim as it would stand with the amendment, at its revision.
          const { view, event } = await claimViewAndEvent(work, c.id);
          const amended = {
            ...event,
            contractRef: next.contractRef,
            invoiceNumber: next.invoiceNumber,
            invoiceAmountFen: next.invoiceAmountFen.toString(),
            bankTransferRef: next.bankTransferRef,
            bankAmountFen: next.bankAmountFen.toString(),
            revision,
          };
          await work.emit({ subject: Events.claimAmended, aggregateType: 'claim', aggregateId: c.id, payload: amended });
          return view;
        }),
      );
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.DUPLICATE_INVOICE && orderId && dto.invoiceNumber && invoice) {
        await this.flags.record(principal, orderId, dto.invoiceNumber, invoice.key);
      }
      throw err;
    }
  }
}
