import { Injectable } from '@nestjs/common';
import { EligibilityDto, EligibilityView, ListProvidersDto, Principal, ProviderIdDto, ProviderPage, ProviderView } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { findProvider, PROVIDER_COLUMNS } from '../providers/provider.sql';

/**
 * Registry reads. The registry is shared by the whole delta (mutual recognition), so every
 * authenticated principal may read provider entries.
 */
@Injectable()
export class ProviderQueries {
  constructor(private readonly uow: UnitOfWork) {}

  async get(_principal: Principal, dto: ProviderIdDto): Promise<ProviderView> {
    const provider = await findProvider(this.uow.ds.manager, dto.providerId);
    if (!provider) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'providerId' });
    return provider;
  }

  async list(_principal: Principal, dto: ListProvidersDto): Promise<ProviderPage> {
    const params: unknown[] = [];
    const bind = (value: unknown) => `$${params.push(value)}`;
    const where: string[] = [];
    if (dto.province) where.push(`x.province = ${bind(dto.province)}`);
    if (dto.kind) where.push(`x.kind = ${bind(dto.kind)}`);
    if (dto.creditCode) where.push(`x."creditCode" = ${bind(dto.creditCode)}`);
    if (dto.name) {
      const pattern = bind(`%${dto.name}%`);
      where.push(`(x."legalName" ILIKE ${pattern} OR x."unitName" ILIKE ${pattern})`);
    }
    // 'suspended' is derived from credit records; the other statuses exclude suspended units
    if (dto.status === 'suspended') where.push('x.suspended');
    else if (dto.status) where.push(`x.status = ${bind(dto.status)} AND NOT x.suspended`);
    const rows = await this.uow.query(
      `SELECT x.*, count(*) OVER () AS total
         FROM (SELECT ${PROVIDER_COLUMNS} FROM registry.providers p) x
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY x."legalName", x."unitName" LIMIT ${bind(dto.limit ?? 50)} OFFSET ${bind(dto.offset ?? 0)}`,
      params,
    );
    const total = rows.length ? Number(rows[0].total) : 0;
    return { items: rows.map(({ total: _t, ...rest }) => rest as ProviderView), total };
  }

  /**
   * R-REG-2..4: may this provider take new voucher orders of this programme? Active, not suspended by
   * a serious credit record of its legal entity, not excluded by the programme.
   */
  async eligibility(_principal: Principal, dto: EligibilityDto): Promise<EligibilityView> {
    const provider = await findProvider(this.uow.ds.manager, dto.providerId);
    if (!provider) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'providerId' });
    const [excluded] = await this.uow.query(
      `SELECT 1 FROM registry.programme_exclusions WHERE provider_id = $1 AND programme_id = $2 AND lifted_at IS NULL`,
      [dto.providerId, dto.programmeId],
    );
    let reason: string | null = null;
    if (provider.status !== 'active' || provider.suspended) reason = ErrorCode.PROVIDER_NOT_ACTIVE;
    else if (excluded) reason = ErrorCode.PROVIDER_EXCLUDED;
    return {
      providerId: provider.id,
      programmeId: dto.programmeId,
      eligible: reason === null,
      reason,
      creditCode: provider.creditCode,
      province: provider.province,
    };
  }
}
