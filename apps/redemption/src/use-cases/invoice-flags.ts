import { Injectable, Logger } from '@nestjs/common';
import { ClaimFlaggedEvent, Events, Principal } from '@vc/contracts';
import { UnitOfWork } from '@vc/platform';

/**
 * R-CLAIM-2: a claim refused because its invoice number already backs another claim is flagged
 * for inspection. The refusal rolls its own transaction back, so the flag is written in a separate
 * committed one: durable although the claim is not. One flag per (invoice, order).
 */
@Injectable()
export class InvoiceFlags {
  private readonly logger = new Logger('InvoiceFlags');

  constructor(private readonly uow: UnitOfWork) {}

  async record(principal: Principal, orderId: string, invoiceNumber: string): Promise<void> {
    try {
      await this.uow.run(principal, async (work) => {
        const [hit] = await work.query(
          `SELECT c.id AS "existingClaimId", c.order_id AS "existingOrderId", c.programme_id AS "existingProgrammeId",
                  o.programme_id AS "programmeId", o.enterprise_id AS "enterpriseId", o.provider_id AS "providerId"
             FROM redemption.claims c, redemption.orders o
            WHERE c.invoice_key = upper(regexp_replace($1, '\\s', '', 'g')) AND c.order_id <> $2 AND o.id = $2`,
          [invoiceNumber, orderId],
        );
        if (!hit) return;
        const [flag] = await work.query<{ id: string; at: string }>(
          `INSERT INTO redemption.invoice_flags (invoice_number, invoice_key, order_id, existing_claim_id, flagged_by_sub, flagged_by_role, flagged_by_org)
           VALUES ($1, upper(regexp_replace($1, '\\s', '', 'g')), $2, $3, $4, $5, $6)
           ON CONFLICT (invoice_key, order_id) DO NOTHING
           RETURNING id, redemption.iso(created_at) AS at`,
          [invoiceNumber, orderId, hit.existingClaimId, principal.sub, principal.role, principal.org],
        );
        if (!flag) return; // already flagged by an earlier attempt
        await work.audit({
          action: 'claim.flagged',
          entityType: 'order',
          entityId: orderId,
          reason: `invoice ${invoiceNumber} already backs claim ${hit.existingClaimId}`,
          data: { flagId: flag.id, invoiceNumber, existingClaimId: hit.existingClaimId, existingProgrammeId: hit.existingProgrammeId },
        });
        const payload: ClaimFlaggedEvent = { flagId: flag.id, invoiceNumber, orderId, flaggedAt: flag.at, ...hit };
        await work.emit({ subject: Events.claimFlagged, aggregateType: 'order', aggregateId: orderId, payload });
      });
    } catch (err) {
      this.logger.error({ err, orderId, invoiceNumber }, 'could not record the duplicate-invoice flag');
    }
  }
}
