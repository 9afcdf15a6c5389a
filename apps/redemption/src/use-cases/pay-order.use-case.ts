import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { OrderIdDto, OrderView, Principal, Role } from '@vc/contracts';
import { assertIdempotencyKey, priorReply, requestHash } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { currentCorrelationId } from '@vc/logging';
import { CopyFreshness, idempotencyScope, UnitOfWork } from '@vc/platform';
import { PaymentBatcher } from './payment-batcher';

/**
 * R-OFFSET-1..2: pays a confirmed order with the voucher, V = min(floor(A × rate), quota left,
 * budget left), refused with the reason when V would be 0. The hot path: the PL/pgSQL function
 * redemption.pay_order does the idempotency check, the conditional updates of quota and budget,
 * both ledger entries, the order's state change, its audit row and its outbox event in one
 * statement (ADR 0004); payments that arrive together are made in one transaction by
 * redemption.pay_orders (PaymentBatcher, ADR 0006). The idempotency store is the same as
 * UnitOfWork.idempotent's (same table, scope and request hash). Refused with COPY_STALE while
 * redemption's copy of the registry's providers is older than COPY_MAX_AGE_SECONDS.
 */
@Injectable()
export class PayOrderUseCase {
  constructor(private readonly batcher: PaymentBatcher, private readonly copies: CopyFreshness, private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: OrderIdDto, idempotencyKey?: string): Promise<OrderView> {
    requireRole(principal, Role.Enterprise, Role.Provider);
    assertIdempotencyKey(idempotencyKey);
    const scope = idempotencyScope(principal, 'order.pay');
    try {
      // R-REG-2..4: the provider's standing is redemption's copy of the registry's, no older than the bound.
      this.copies.assertFresh('providers', 'orderId');
    } catch (err) {
      // A retry of a payment answered before is answered as before; a new one waits for a fresher copy.
      const prior = await priorReply(this.uow.ds.manager, this.uow.schema, scope, idempotencyKey, dto);
      if (prior) return prior.reply as OrderView;
      throw err;
    }
    return this.batcher.pay({
      scope,
      key: idempotencyKey,
      hash: requestHash(dto),
      orderId: dto.orderId,
      sub: principal.sub,
      role: principal.role,
      org: principal.org,
      correlationId: currentCorrelationId() ?? null,
    });
  }
}
