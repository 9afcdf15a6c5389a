import { Injectable } from '@nestjs/common';
import { assertActsForProvider, requireRole } from '@vc/auth';
import { CreateOrderDto, Events, OrderView, Principal, Role } from '@vc/contracts';
import { shanghaiYear } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, CopyFreshness, UnitOfWork } from '@vc/platform';
import { assertStanding, findEnterprise, findProvider, mapPg, orderViewAndEvent } from '../sql/redemption.sql';

/**
 * R-ORDER-1: an active provider unit offers an enterprise a service contract for the actual amount
 * A, in the enterprise's home programme of the current year; both parties then confirm it.
 * Refused for revoked, suspended or excluded providers (R-REG-2..4) and for a provider of the
 * enterprise's own legal entity (R-ENT-3). The provider's standing is redemption's copy of the
 * registry's: refused with COPY_STALE while that copy is older than COPY_MAX_AGE_SECONDS.
 */
@Injectable()
export class CreateOrderUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly copies: CopyFreshness) {}

  async execute(principal: Principal, dto: CreateOrderDto, idempotencyKey?: string): Promise<OrderView> {
    requireRole(principal, Role.Provider);
    if (!dto.enterpriseId === !dto.enterpriseCreditCode) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, {
        field: 'enterpriseId',
        message: 'name the enterprise by enterpriseId or by enterpriseCreditCode (one of the two)',
      });
    }
    return mapPg(() =>
      this.uow.idempotent(principal, 'order.create', idempotencyKey, dto, async (work) => {
        // The provider's standing is the registry's: decided with a copy no older than the bound.
        this.copies.assertFresh('providers', 'providerId');
        const provider = await findProvider(work, dto.providerId);
        assertActsForProvider(principal, provider);
        const enterprise = await findEnterprise(work, { id: dto.enterpriseId, creditCode: dto.enterpriseCreditCode });
        const enterpriseField = dto.enterpriseId ? 'enterpriseId' : 'enterpriseCreditCode';
        if (!enterprise) throw new DomainError(ErrorCode.NOT_FOUND, { field: enterpriseField, message: 'no approved enterprise with this identity' });
        if (enterprise.status !== 'approved') throw new DomainError(ErrorCode.ENTERPRISE_NOT_APPROVED, { field: enterpriseField });
        if (enterprise.creditCode === provider.creditCode) {
          throw new DomainError(ErrorCode.SAME_LEGAL_ENTITY, {
            field: enterpriseField,
            message: 'an enterprise may not buy voucher services from a provider of its own legal entity',
          });
        }
        const now = this.clock.now();
        const programmeId = `${enterprise.province}-${shanghaiYear(now)}`;
        const programme = await assertStanding(work, provider.id, programmeId);
        const [row] = await work.query<{ id: string }>(
          `INSERT INTO redemption.orders (programme_id, programme_year, enterprise_id, enterprise_credit_code, provider_id, provider_credit_code,
                                          amount_fen, status, description, external_ref, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'created', $8, $9, $10, $11)
           ON CONFLICT (provider_id, external_ref) WHERE external_ref IS NOT NULL DO NOTHING
           RETURNING id`,
          [programmeId, programme.year, enterprise.id, enterprise.creditCode, provider.id, provider.creditCode, dto.amountFen.toString(),
            dto.description, dto.externalRef ?? null, principal.sub, now],
        );
        if (!row) throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'externalRef', message: 'this provider already has an order with this externalRef' });
        const { view, event } = await orderViewAndEvent(work, row.id);
        await work.audit({ action: 'order.created', entityType: 'order', entityId: row.id, data: { amountFen: dto.amountFen, description: dto.description, externalRef: dto.externalRef ?? null } });
        await work.emit({ subject: Events.orderCreated, aggregateType: 'order', aggregateId: row.id, payload: event });
        return view;
      }),
    );
  }
}
