import { Injectable } from '@nestjs/common';
import { CreateRegionDto, Events, ListRegionsDto, Principal, RegionEvent, RegionIdDto, RegionView, Role, UpdateRegionDto } from '@vc/contracts';
import { parseDecimalRatio, ratioToDecimalString } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { assertOperatorOf, findRegion, REGION_COLUMNS } from '../issuance.sql';

const regionEvent = (r: RegionView): RegionEvent => ({
  regionId: r.id,
  province: r.province as RegionEvent['province'],
  name: r.name,
  matchingRatio: r.matchingRatio,
  status: r.status,
});

/** Linked regions (联动地区) commit to match the voucher from local funds, 1.00 by default. */
@Injectable()
export class RegionsUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async create(principal: Principal, dto: CreateRegionDto, key?: string): Promise<RegionView> {
    assertOperatorOf(principal, principal.province ?? '', 'province');
    const ratio = ratioToDecimalString(parseDecimalRatio(dto.matchingRatio ?? '1.00'), 4);
    return this.uow.idempotent(principal, 'region.create', key, dto, async (work) => {
      const rows = await work.query(
        `INSERT INTO issuance.regions (province, name, matching_ratio) VALUES ($1, $2, $3::numeric) ON CONFLICT DO NOTHING RETURNING id`,
        [principal.province, dto.name, ratio],
      );
      if (rows.length === 0) throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'name', message: 'a region of this name exists in the province' });
      const region = (await findRegion(work.tx, rows[0].id))!;
      await work.audit({ action: 'region.registered', entityType: 'region', entityId: region.id, data: dto });
      await work.emit({ subject: Events.regionRegistered, aggregateType: 'region', aggregateId: region.id, payload: regionEvent(region) });
      return region;
    });
  }

  async update(principal: Principal, dto: UpdateRegionDto, key?: string): Promise<RegionView> {
    return this.uow.idempotent(principal, 'region.update', key, dto, async (work) => {
      const region = await findRegion(work.tx, dto.regionId);
      if (!region) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'regionId' });
      assertOperatorOf(principal, region.province, 'regionId');
      const ratio = dto.matchingRatio === undefined ? null : ratioToDecimalString(parseDecimalRatio(dto.matchingRatio), 4);
      await work.query(
        `UPDATE issuance.regions SET matching_ratio = COALESCE($2::numeric, matching_ratio), status = COALESCE($3, status) WHERE id = $1`,
        [region.id, ratio, dto.status ?? null],
      );
      const updated = (await findRegion(work.tx, region.id))!;
      await work.audit({ action: 'region.updated', entityType: 'region', entityId: region.id, reason: dto.reason, data: dto });
      await work.emit({ subject: Events.regionUpdated, aggregateType: 'region', aggregateId: region.id, payload: regionEvent(updated) });
      return updated;
    });
  }

  /** A region admin sees only its own region. */
  async get(principal: Principal, dto: RegionIdDto): Promise<RegionView> {
    const region = await findRegion(this.uow.ds.manager, dto.regionId);
    if (!region || (principal.role === Role.RegionAdmin && principal.org !== region.id)) {
      throw new DomainError(ErrorCode.NOT_FOUND, { field: 'regionId' });
    }
    return region;
  }

  async list(principal: Principal, dto: ListRegionsDto): Promise<{ items: RegionView[] }> {
    const own = principal.role === Role.RegionAdmin ? principal.org : null;
    const items = await this.uow.query<RegionView>(
      `SELECT ${REGION_COLUMNS} FROM issuance.regions WHERE ($1::text IS NULL OR province = $1) AND ($2::uuid IS NULL OR id = $2) ORDER BY province, name`,
      [dto.province ?? null, own],
    );
    return { items };
  }
}
