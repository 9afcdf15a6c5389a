import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { AmendClaimDto, ClaimView, Events, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { assertParty } from '../access';
import { assertEvidence, assertInvoiceFree, assertRedeemingParty } from '../claims';
import { claimViewAndEvent, findClaim, mapPg } from '../redemption.sql';
import { InvoiceFlags } from './invoice-flags';

const EVIDENCE = ['contractRef', 'invoiceNumber', 'invoiceAmountFen', 'bankTransferRef', 'bankAmountFen'] as const;

/**
 * R-CLAIM-3: the redeeming party amends its claim while it is pending review (or was returned for
 * amendment by a settlement review); the same evidence rules apply (R-CLAIM-2).
 */
@Injectable()
export class AmendClaimUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly flags: InvoiceFlags) {}

  async execute(principal: Principal, dto: AmendClaimDto, idempotencyKey?: string): Promise<ClaimView> {
    requireRole(principal, Role.Provider, Role.Enterprise);
    if (!EVIDENCE.some((k) => dto[k] !== undefined)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'claimId', message: `an amendment changes at least one of ${EVIDENCE.join(', ')}` });
    }
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
          const next = {
            contractRef: dto.contractRef ?? c.contract_ref,
            invoiceNumber: dto.invoiceNumber ?? c.invoice_number,
            invoiceAmountFen: dto.invoiceAmountFen ?? c.invoice_amount_fen,
            bankTransferRef: dto.bankTransferRef ?? c.bank_transfer_ref,
            bankAmountFen: dto.bankAmountFen ?? c.bank_amount_fen,
          };
          if (dto.invoiceNumber !== undefined) await assertInvoiceFree(work, next.invoiceNumber, c.order_id);
          assertEvidence(c.amount_fen, c.owed_fen, next.invoiceAmountFen, next.bankAmountFen);
          await work.query(
            `UPDATE redemption.claims SET contract_ref = $2, invoice_number = $3, invoice_amount_fen = $4, bank_transfer_ref = $5, bank_amount_fen = $6,
                    status = 'pending_review', revision = revision + 1, amended_at = $7
              WHERE id = $1`,
            [c.id, next.contractRef, next.invoiceNumber, next.invoiceAmountFen.toString(), next.bankTransferRef, next.bankAmountFen.toString(), this.clock.now()],
          );
          const changes = Object.fromEntries(EVIDENCE.filter((k) => dto[k] !== undefined).map((k) => [k, dto[k]]));
          await work.audit({ action: 'claim.amended', entityType: 'claim', entityId: c.id, reason: dto.reason, data: { previousStatus: c.status, changes } });
          const { view, event } = await claimViewAndEvent(work, c.id);
          await work.emit({ subject: Events.claimAmended, aggregateType: 'claim', aggregateId: c.id, payload: event });
          return view;
        }),
      );
    } catch (err) {
      if (err instanceof DomainError && err.code === ErrorCode.DUPLICATE_INVOICE && orderId && dto.invoiceNumber) {
        await this.flags.record(principal, orderId, dto.invoiceNumber);
      }
      throw err;
    }
  }
}
