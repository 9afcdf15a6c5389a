import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { OrderIdDto, OrderView, Principal, Role } from '@vc/contracts';
import { requestHash } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { currentCorrelationId } from '@vc/logging';
import { Clock, Outbox, UnitOfWork } from '@vc/platform';
import { mapPg } from '../redemption.sql';

/**
 * R-OFFSET-1..2: pays a confirmed order with the voucher, V = min(floor(A × rate), quota left,
 * budget left), refused with the reason when V would be 0. The hot path: one call of the
 * PL/pgSQL function redemption.pay_order (migration 1764000000201) does the idempotency check,
 * the conditional updates of quota and budget, both ledger entries, the order's state change, its
 * audit row and its outbox event, in one statement and one round trip (ADR 0004). The
 * idempotency store is the same as UnitOfWork.idempotent's (same table, scope and request hash).
 */
@Injectable()
export class PayOrderUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly outbox: Outbox) {}

  async execute(principal: Principal, dto: OrderIdDto, idempotencyKey?: string): Promise<OrderView> {
    requireRole(principal, Role.Enterprise, Role.Provider);
    if (!idempotencyKey) {
      throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REQUIRED, { field: 'Idempotency-Key', message: 'an Idempotency-Key is required for this request' });
    }
    if (idempotencyKey.length > 200) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'Idempotency-Key', message: 'Idempotency-Key is longer than 200 characters' });
    }
    const scope = `order.pay:${principal.role}:${principal.org}:${principal.sub}`;
    const [row] = await mapPg(() =>
      this.uow.ds.query(`SELECT redemption.pay_order($1, $2, $3, $4, $5, $6, $7, $8, $9) AS reply`, [
        scope,
        idempotencyKey,
        requestHash(dto),
        dto.orderId,
        principal.sub,
        principal.role,
        principal.org,
        this.clock.now(),
        currentCorrelationId() ?? null,
      ]),
    );
    this.outbox.nudge();
    return row.reply;
  }
}
