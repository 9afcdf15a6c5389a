import { Injectable } from '@nestjs/common';
import { operatorProvince } from '@vc/auth';
import { CreateRegionDto, Events, Principal, RegionView } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { matchingRatioOf } from '../region-input';
import { getRegion, regionEvent } from '../sql/regions.sql';

/** SPEC 3: a linked region (联动地区) of the operator's province, matching 1:1 unless its ratio says otherwise. */
@Injectable()
export class CreateRegionUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: CreateRegionDto, idempotencyKey?: string): Promise<RegionView> {
    const province = operatorProvince(principal);
    const ratio = matchingRatioOf(dto.matchingRatio ?? '1.00');
    return this.uow.idempotent(principal, 'region.create', idempotencyKey, dto, async (work) => {
      const rows = await work.query<{ id: string; version: number }>(
        `INSERT INTO issuance.regions (province, name, matching_ratio) VALUES ($1, $2, $3::numeric) ON CONFLICT (province, name) DO NOTHING
         RETURNING id, version::int AS version`,
        [province, dto.name, ratio],
      );
      if (rows.length === 0) throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'name', message: `${province} already has a region named ${dto.name}` });
      const region = await getRegion(work.tx, rows[0].id);
      await work.audit({ action: 'region.registered', entityType: 'region', entityId: region.id, data: { ...dto, matchingRatio: ratio } });
      await work.emit({ subject: Events.regionRegistered, aggregateType: 'region', aggregateId: region.id, payload: regionEvent(region, rows[0].version) });
      return region;
    });
  }
}
