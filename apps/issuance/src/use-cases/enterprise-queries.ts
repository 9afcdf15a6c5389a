import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { EnterpriseIdDto, EnterprisePage, EnterpriseView, ListEnterprisesDto, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { assertMayReadEnterprise } from '../access';
import { ENTERPRISE_COLUMNS, findEnterprise } from '../sql/enterprises.sql';

@Injectable()
export class EnterpriseQueries {
  constructor(private readonly uow: UnitOfWork) {}

  async get(principal: Principal, dto: EnterpriseIdDto): Promise<EnterpriseView> {
    const enterprise = await findEnterprise(this.uow.ds.manager, dto.enterpriseId);
    if (!enterprise) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
    assertMayReadEnterprise(principal, enterprise);
    return enterprise;
  }

  /** A region admin lists its own region, an operator its province, the desk and auditors everything. */
  async list(principal: Principal, dto: ListEnterprisesDto): Promise<EnterprisePage> {
    let region = dto.regionId ?? null;
    let province: string | null = null;
    if (principal.role === Role.RegionAdmin) {
      if (region && region !== principal.org) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'regionId' });
      region = principal.org;
    } else if (principal.role === Role.ProgrammeOperator) {
      if (!principal.province) throw new DomainError(ErrorCode.FORBIDDEN, { message: 'the operator token names no province' });
      province = principal.province;
    } else {
      requireRole(principal, Role.DeltaOperator, Role.Auditor, Role.Service);
    }
    const rows = await this.uow.query<EnterpriseView & { total: bigint }>(
      `SELECT ${ENTERPRISE_COLUMNS}, count(*) OVER () AS total FROM issuance.enterprises e
        WHERE ($1::text IS NULL OR e.region_id::text = $1) AND ($2::text IS NULL OR e.province = $2) AND ($3::text IS NULL OR e.status = $3)
        ORDER BY e.created_at, e.id LIMIT $4 OFFSET $5`,
      [region, province, dto.status ?? null, dto.limit ?? 100, dto.offset ?? 0],
    );
    return { items: rows.map(({ total: _t, ...e }) => e), total: rows.length ? Number(rows[0].total) : 0 };
  }
}
