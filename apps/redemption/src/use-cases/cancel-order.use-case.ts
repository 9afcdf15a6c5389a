import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { CancelOrderDto, Events, OrderView, Principal, Role } from '@vc/contracts';
import { endOfShanghaiYear } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { assertParty } from '../access';
import { findOrder, mapPg, orderViewAndEvent } from '../sql/redemption.sql';

/**
 * R-OFFSET-3: either party cancels an order before the service is completed. A voucher already
 * applied goes back to the programme budget, and to the enterprise's quota only while the quota's
 * year has not ended (Asia/Shanghai); after that it lapses (R-QUOTA-2).
 */
@Injectable()
export class CancelOrderUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: CancelOrderDto, idempotencyKey?: string): Promise<OrderView> {
    requireRole(principal, Role.Provider, Role.Enterprise);
    return mapPg(() =>
      this.uow.idempotent(principal, 'order.cancel', idempotencyKey, dto, async (work) => {
        // Lock order as in the payment: order row, then quota, then budget.
        const order = await findOrder(work, dto.orderId, true);
        assertParty(principal, order);
        const o = order!;
        if (o.status === 'completed' || o.status === 'cancelled') {
          throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'orderId', message: `order is ${o.status}; only an order not yet completed is cancelled` });
        }
        const now = this.clock.now();
        const v = o.status === 'paid' ? o.voucher_fen : 0n;
        let toQuota = 0n;
        if (v > 0n) {
          if (now.getTime() < endOfShanghaiYear(o.programme_year).getTime()) {
            toQuota = v;
            await work.query(`UPDATE redemption.quota_balance SET left_fen = left_fen + $3 WHERE enterprise_id = $1 AND programme_id = $2`, [
              o.enterprise_id, o.programme_id, v.toString(),
            ]);
            await work.query(
              `INSERT INTO redemption.ledger_entries (entry_type, programme_id, enterprise_id, order_id, amount_fen, ref, created_at)
               VALUES ('quota_returned', $1, $2, $3, $4, 'cancelled', $5)`,
              [o.programme_id, o.enterprise_id, o.id, v.toString(), now],
            );
          } else {
            // After its year V is no longer used, and it can no longer be spent: it is returned to the
            // quota and lapses at once, so that claimed = used + left + lapsed still holds (R-QUOTA-2,
            // R-LEDGER-1), and issuance is told as for the year-end lapse.
            await work.query(
              `UPDATE redemption.quota_balance SET lapsed_fen = lapsed_fen + $3, lapsed_at = COALESCE(lapsed_at, $4) WHERE enterprise_id = $1 AND programme_id = $2`,
              [o.enterprise_id, o.programme_id, v.toString(), now],
            );
            await work.query(
              `INSERT INTO redemption.ledger_entries (entry_type, programme_id, enterprise_id, order_id, amount_fen, ref, created_at)
               VALUES ('quota_returned', $1, $2, $3, $4, 'cancelled after its year', $5), ('quota_lapsed', $1, $2, $3, $4, 'cancelled after its year', $5)`,
              [o.programme_id, o.enterprise_id, o.id, v.toString(), now],
            );
            await work.emit({
              subject: Events.quotaLapsed,
              aggregateType: 'enterprise',
              aggregateId: o.enterprise_id,
              payload: { enterpriseId: o.enterprise_id, programmeId: o.programme_id, year: o.programme_year, amountFen: v.toString() },
            });
          }
          await work.query(`SELECT redemption.return_budget($1, $2, $3, $4, 'cancelled', $5)`, [o.programme_id, o.enterprise_id, o.id, v.toString(), now]);
        }
        await work.query(`UPDATE redemption.orders SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3 WHERE id = $1`, [o.id, now, dto.reason]);
        await work.audit({
          action: 'order.cancelled',
          entityType: 'order',
          entityId: o.id,
          reason: dto.reason,
          data: { previousStatus: o.status, returnedToBudgetFen: v, returnedToQuotaFen: toQuota },
        });
        const { view, event } = await orderViewAndEvent(work, o.id);
        await work.emit({ subject: Events.orderCancelled, aggregateType: 'order', aggregateId: o.id, payload: event });
        return view;
      }),
    );
  }

}
