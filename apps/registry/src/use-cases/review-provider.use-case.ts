import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { Events, Principal, ProviderView, ReviewProviderDto, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { findProvider, providerEvent } from '../providers/provider.sql';

/** R-REG-1: the delta desk admits or rejects a provider that waits for review. */
@Injectable()
export class ReviewProviderUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: ReviewProviderDto, idempotencyKey?: string): Promise<ProviderView> {
    requireRole(principal, Role.DeltaOperator);
    return this.uow.idempotent(principal, 'provider.review', idempotencyKey, dto, async (work) => {
      const provider = await findProvider(work.tx, dto.providerId, true);
      if (!provider) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'providerId' });
      if (provider.status !== 'pending_review') {
        throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'providerId', message: `provider is ${provider.status}, not pending review` });
      }
      const approved = dto.decision === 'approve';
      await work.query(`UPDATE registry.providers SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1`, [
        provider.id,
        approved ? 'active' : 'rejected',
        dto.reason ?? null,
      ]);
      const updated = (await findProvider(work.tx, provider.id))!;
      await work.audit({ action: approved ? 'provider.admitted' : 'provider.rejected', entityType: 'provider', entityId: provider.id, reason: dto.reason });
      await work.emit({
        subject: approved ? Events.providerAdmitted : Events.providerRejected,
        aggregateType: 'provider',
        aggregateId: provider.id,
        payload: await providerEvent(work.tx, provider.id, { reason: dto.reason ?? null }),
      });
      return updated;
    });
  }
}
