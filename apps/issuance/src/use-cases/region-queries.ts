import { Injectable } from '@nestjs/common';
import { ListRegionsDto, Principal, RegionIdDto, RegionPage, RegionView, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { findRegion, REGION_COLUMNS, toRegionView } from '../sql/regions.sql';

/**
 * Regions are reference data (enterprises pick theirs when registering), except that a region
 * admin sees only its own region.
 */
@Injectable()
export class RegionQueries {
  constructor(private readonly uow: UnitOfWork) {}

  async get(principal: Principal, dto: RegionIdDto): Promise<RegionView> {
    const region = await findRegion(this.uow.ds.manager, dto.regionId);
    if (!region || (principal.role === Role.RegionAdmin && principal.org !== region.id)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'regionId' });
    return region;
  }

  async list(principal: Principal, dto: ListRegionsDto): Promise<RegionPage> {
    const ownRegion = principal.role === Role.RegionAdmin ? principal.org : null;
    const rows = await this.uow.query<RegionView>(
      `SELECT ${REGION_COLUMNS} FROM issuance.regions
        WHERE ($1::text IS NULL OR province = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR id::text = $3)
        ORDER BY province, name`,
      [dto.province ?? null, dto.status ?? null, ownRegion],
    );
    return { items: rows.map(toRegionView) };
  }
}
