import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { Events, OrderIdDto, OrderView, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, CopyFreshness, UnitOfWork } from '@vc/platform';
import { assertParty } from '../access';
import { assertStanding, effectiveVersion, findOrder, mapPg, orderViewAndEvent } from '../sql/redemption.sql';

/**
 * R-ORDER-1: the order is confirmed online by both parties, in either order. The second
 * confirmation fixes the programme version the order uses: the one in effect at that instant
 * (R-PROG-1), with its offset rate and mode — as far as redemption's copy of issuance's programmes
 * knows, so it is refused with COPY_STALE while that copy is older than COPY_MAX_AGE_SECONDS.
 */
@Injectable()
export class ConfirmOrderUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly copies: CopyFreshness) {}

  async execute(principal: Principal, dto: OrderIdDto, idempotencyKey?: string): Promise<OrderView> {
    requireRole(principal, Role.Provider, Role.Enterprise);
    return mapPg(() =>
      this.uow.idempotent(principal, 'order.confirm', idempotencyKey, dto, async (work) => {
        const order = await findOrder(work, dto.orderId, true);
        const party = assertParty(principal, order);
        const o = order!;
        if (o.status !== 'created') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'orderId', message: `order is already ${o.status}` });
        const mine = party === 'provider' ? o.provider_confirmed_at : o.enterprise_confirmed_at;
        if (mine) throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'orderId', message: `the ${party} has already confirmed this order` });
        // The provider's standing and the programme's may have changed since the order was created: both
        // decided with copies (the registry's providers, issuance's programmes) no older than the bound.
        this.copies.assertFresh('providers', 'orderId');
        this.copies.assertFresh('programmes', 'orderId');
        await assertStanding(work, o.provider_id, o.programme_id);
        if (o.enterprise_credit_code === o.provider_credit_code) throw new DomainError(ErrorCode.SAME_LEGAL_ENTITY, { field: 'orderId' });

        const now = this.clock.now();
        const column = party === 'provider' ? 'provider_confirmed_at' : 'enterprise_confirmed_at';
        await work.query(`UPDATE redemption.orders SET ${column} = $2 WHERE id = $1`, [o.id, now]);
        await work.audit({ action: `order.confirmed-by-${party}`, entityType: 'order', entityId: o.id });
        const other = party === 'provider' ? o.enterprise_confirmed_at : o.provider_confirmed_at;
        if (other) {
          const version = await effectiveVersion(work, o.programme_id, now);
          await work.query(
            `UPDATE redemption.orders SET status = 'confirmed', confirmed_at = $2, programme_version = $3, offset_rate_bp = $4, mode = $5
              WHERE id = $1 AND status = 'created'`,
            [o.id, now, version.version, version.offsetRateBp, version.mode],
          );
          await work.audit({ action: 'order.confirmed', entityType: 'order', entityId: o.id, data: { programmeVersion: version.version, offsetRateBp: version.offsetRateBp, mode: version.mode } });
        }
        const { view, event } = await orderViewAndEvent(work, o.id);
        if (other) await work.emit({ subject: Events.orderConfirmed, aggregateType: 'order', aggregateId: o.id, payload: event });
        return view;
      }),
    );
  }
}
