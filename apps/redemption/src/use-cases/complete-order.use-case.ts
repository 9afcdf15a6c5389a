import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { Events, OrderIdDto, OrderView, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { assertParty } from '../access';
import { findOrder, mapPg, orderViewAndEvent } from '../sql/redemption.sql';

/**
 * The service of a paid order was delivered; a redemption claim may follow (R-CLAIM-1). A provider
 * revoked or suspended since the payment still completes its paid orders (R-REG-3).
 */
@Injectable()
export class CompleteOrderUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: OrderIdDto, idempotencyKey?: string): Promise<OrderView> {
    requireRole(principal, Role.Provider, Role.Enterprise);
    return mapPg(() =>
      this.uow.idempotent(principal, 'order.complete', idempotencyKey, dto, async (work) => {
        const order = await findOrder(work, dto.orderId, true);
        assertParty(principal, order);
        const o = order!;
        if (o.status !== 'paid') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'orderId', message: `order is ${o.status}; only a paid order is completed` });
        await work.query(`UPDATE redemption.orders SET status = 'completed', completed_at = $2 WHERE id = $1`, [o.id, this.clock.now()]);
        await work.audit({ action: 'order.completed', entityType: 'order', entityId: o.id });
        const { view, event } = await orderViewAndEvent(work, o.id);
        await work.emit({ subject: Events.orderCompleted, aggregateType: 'order', aggregateId: o.id, payload: event });
        return view;
      }),
    );
  }
}
