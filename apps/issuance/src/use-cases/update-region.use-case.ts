import { Injectable } from '@nestjs/common';
import { assertOperatorOf, operatorProvince } from '@vc/auth';
import { Events, Principal, RegionView, UpdateRegionDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { matchingRatioOf } from '../region-input';
import { getRegion, regionEvent } from '../sql/regions.sql';

/**
 * The operator changes a region's matching ratio or withdraws (or re-admits) it, with a reason.
 * Enterprises of a withdrawn region cannot be approved (R-ENT-1).
 */
@Injectable()
export class UpdateRegionUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: UpdateRegionDto, idempotencyKey?: string): Promise<RegionView> {
    operatorProvince(principal);
    if (dto.matchingRatio === undefined && dto.status === undefined) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'status', message: 'give a matchingRatio, a status or both' });
    }
    const ratio = dto.matchingRatio === undefined ? null : matchingRatioOf(dto.matchingRatio);
    return this.uow.idempotent(principal, 'region.update', idempotencyKey, dto, async (work) => {
      const before = await getRegion(work.tx, dto.regionId, 'update');
      assertOperatorOf(principal, before.province, 'regionId');
      const [{ version }] = await work.query<{ version: number }>(
        `UPDATE issuance.regions SET matching_ratio = COALESCE($2::numeric, matching_ratio), status = COALESCE($3, status), version = version + 1
          WHERE id = $1 RETURNING version::int AS version`,
        [before.id, ratio, dto.status ?? null],
      );
      const after = await getRegion(work.tx, before.id);
      await work.audit({
        action: after.status !== before.status ? `region.${after.status === 'withdrawn' ? 'withdrawn' : 'reactivated'}` : 'region.updated',
        entityType: 'region',
        entityId: after.id,
        reason: dto.reason,
        data: { before: { matchingRatio: before.matchingRatio, status: before.status }, after: { matchingRatio: after.matchingRatio, status: after.status } },
      });
      await work.emit({ subject: Events.regionUpdated, aggregateType: 'region', aggregateId: after.id, payload: regionEvent(after, version) });
      return after;
    });
  }
}
