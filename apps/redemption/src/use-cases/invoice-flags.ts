import { Injectable, Logger } from '@nestjs/common';
import { ClaimFlaggedEvent, Events, Principal } from '@vc/contracts';
import { UnitOfWork } from '@vc/platform';

/**
 * R-CLAIM-2: a claim (or an amendment) refused because its invoice already backs another claim is
 * recorded for inspection. The same party is the claimant of the attempt in the other claim: the
 * provider's legal entity for a provider, the enterprise for an enterprise (which may not claim
 * again the invoice of the service it bought). The refusal rolls its own transaction back, so the record is written in a
 * separate committed one: durable although the claim is not. One record per (invoice, order).
 *
 * The claim that holds the invoice is flagged too (settlement then keeps it out of an approve-all)
 * only when the attempt comes from the same party: the same provider legal entity, or the same
 * enterprise. Otherwise anyone could cite another provider's invoice to hold that provider's claim
 * back: the attempt is recorded, and the other claim is left alone.
 */
@Injectable()
export class InvoiceFlags {
  private readonly logger = new Logger('InvoiceFlags');

  constructor(private readonly uow: UnitOfWork) {}

  async record(principal: Principal, orderId: string, invoiceNumber: string, invoiceKey: string): Promise<void> {
    try {
      await this.uow.run(principal, async (work) => {
        const [hit] = await work.query<{
          existingClaimId: string;
          existingOrderId: string;
          existingProgrammeId: string;
          programmeId: string;
          enterpriseId: string;
          providerId: string;
          sameParty: boolean;
        }>(
          `SELECT c.id AS "existingClaimId", c.order_id AS "existingOrderId", c.programme_id AS "existingProgrammeId",
                  o.programme_id AS "programmeId", o.enterprise_id AS "enterpriseId", o.provider_id AS "providerId",
                  CASE WHEN $3 = 'enterprise' THEN o.enterprise_id = c.enterprise_id ELSE o.provider_credit_code = c.provider_credit_code END AS "sameParty"
             FROM redemption.invoice_keys k
             JOIN redemption.claims c ON c.id = k.claim_id
             JOIN redemption.orders o ON o.id = $2
            WHERE k.invoice_key = $1 AND c.order_id <> $2`,
          [invoiceKey, orderId, principal.role],
        );
        if (!hit) return;
        const { sameParty, ...existing } = hit;
        const [flag] = await work.query<{ id: string; at: string }>(
          `INSERT INTO redemption.invoice_flags (invoice_number, invoice_key, order_id, existing_claim_id, flagged_by_sub, flagged_by_role, flagged_by_org, flags_existing)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (invoice_key, order_id) DO NOTHING
           RETURNING id, redemption.iso(created_at) AS at`,
          [invoiceNumber, invoiceKey, orderId, existing.existingClaimId, principal.sub, principal.role, principal.org, sameParty],
        );
        if (!flag) return; // recorded by an earlier attempt
        await work.audit({
          action: 'claim.flagged',
          entityType: 'order',
          entityId: orderId,
          reason: `invoice ${invoiceNumber} already backs claim ${existing.existingClaimId}${sameParty ? '' : ' of another party (that claim is not held back)'}`,
          data: { flagId: flag.id, invoiceNumber, existingClaimId: existing.existingClaimId, existingProgrammeId: existing.existingProgrammeId, flagsExisting: sameParty },
        });
        if (!sameParty) return;
        const payload: ClaimFlaggedEvent = { flagId: flag.id, invoiceNumber, orderId, flaggedAt: flag.at, ...existing };
        await work.emit({ subject: Events.claimFlagged, aggregateType: 'order', aggregateId: orderId, payload });
      });
    } catch (err) {
      this.logger.error({ err, orderId, invoiceNumber }, 'could not record the duplicate-invoice attempt');
    }
  }
}
