import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { EnterpriseView, Events, Principal, RegisterEnterpriseDto, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { enterpriseEvent, findEnterprise } from '../sql/enterprises.sql';
import { getRegion } from '../sql/regions.sql';

/**
 * R-ENT-1: an enterprise registers once (one credit code), in its home province and linked region,
 * and waits for the region admin's decision. Its own account registers it: the principal's org is
 * the credit code being registered; the enterprise id assigned here is its org from then on.
 */
@Injectable()
export class RegisterEnterpriseUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: RegisterEnterpriseDto, idempotencyKey?: string): Promise<EnterpriseView> {
    requireRole(principal, Role.Enterprise);
    if (principal.org !== dto.creditCode) {
      throw new DomainError(ErrorCode.FORBIDDEN, { field: 'creditCode', message: 'an enterprise account registers its own credit code only' });
    }
    return this.uow.idempotent(principal, 'enterprise.register', idempotencyKey, dto, async (work) => {
      // shared lock: a withdrawal committing meanwhile cannot slip between the check and the insert
      const region = await getRegion(work.tx, dto.regionId, 'share');
      if (principal.province && principal.province !== region.province) {
        throw new DomainError(ErrorCode.VALIDATION_FAILED, {
          field: 'regionId',
          message: `the region is in ${region.province}; an enterprise registers in its home province ${principal.province}`,
        });
      }
      if (region.status === 'withdrawn') throw new DomainError(ErrorCode.REGION_WITHDRAWN, { field: 'regionId', message: `region ${region.name} has withdrawn` });
      const rows = await work.query<{ id: string }>(
        `INSERT INTO issuance.enterprises (credit_code, name, province, region_id) VALUES ($1, $2, $3, $4) ON CONFLICT (credit_code) DO NOTHING RETURNING id`,
        [dto.creditCode, dto.name, region.province, region.id],
      );
      if (rows.length === 0) throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'creditCode', message: 'this enterprise is already registered (R-ENT-1: once)' });
      const enterprise = (await findEnterprise(work.tx, rows[0].id))!;
      await work.audit({ action: 'enterprise.registered', entityType: 'enterprise', entityId: enterprise.id, data: dto });
      await work.emit({ subject: Events.enterpriseRegistered, aggregateType: 'enterprise', aggregateId: enterprise.id, payload: enterpriseEvent(enterprise) });
      return enterprise;
    });
  }
}
