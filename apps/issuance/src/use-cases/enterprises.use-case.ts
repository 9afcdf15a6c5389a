import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import {
  DecideEnterpriseDto,
  EnterpriseEvent,
  EnterpriseIdDto,
  EnterpriseView,
  Events,
  ListEnterprisesDto,
  Principal,
  RegisterEnterpriseDto,
  Role,
  SetSmeRegistrationDto,
} from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { actsForEnterprise, assertMayRead, findEnterprise, findRegion } from '../issuance.sql';

const enterpriseEvent = (e: EnterpriseView): EnterpriseEvent => ({
  enterpriseId: e.id,
  creditCode: e.creditCode,
  name: e.name,
  province: e.province as EnterpriseEvent['province'],
  regionId: e.regionId,
  status: e.status,
  reason: e.decisionReason,
});

/** R-ENT-1..2: an enterprise registers once, in its home province and linked region. */
@Injectable()
export class EnterprisesUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  /** The enterprise's own account (org = its credit code) registers it. */
  async register(principal: Principal, dto: RegisterEnterpriseDto, key?: string): Promise<EnterpriseView> {
    requireRole(principal, Role.Enterprise);
    if (principal.org !== dto.creditCode) {
      throw new DomainError(ErrorCode.FORBIDDEN, { field: 'creditCode', message: 'an enterprise registers itself only' });
    }
    return this.uow.idempotent(principal, 'enterprise.register', key, dto, async (work) => {
      const region = await findRegion(work.tx, dto.regionId);
      if (!region) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'regionId' });
      if (region.status === 'withdrawn') throw new DomainError(ErrorCode.REGION_WITHDRAWN, { field: 'regionId', message: 'the region has withdrawn from the programme' });
      const rows = await work.query(
        `INSERT INTO issuance.enterprises (credit_code, name, province, region_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (credit_code) DO NOTHING RETURNING id`,
        [dto.creditCode, dto.name, region.province, region.id],
      );
      if (rows.length === 0) throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'creditCode', message: 'the enterprise is already registered' });
      const enterprise = (await findEnterprise(work.tx, rows[0].id))!;
      await work.audit({ action: 'enterprise.registered', entityType: 'enterprise', entityId: enterprise.id, data: dto });
      await work.emit({ subject: Events.enterpriseRegistered, aggregateType: 'enterprise', aggregateId: enterprise.id, payload: enterpriseEvent(enterprise) });
      return enterprise;
    });
  }

  /** R-ENT-1: the region's admin decides; a withdrawn or defaulting region cannot approve. */
  async decide(principal: Principal, dto: DecideEnterpriseDto, key?: string): Promise<EnterpriseView> {
    requireRole(principal, Role.RegionAdmin);
    return this.uow.idempotent(principal, 'enterprise.decide', key, dto, async (work) => {
      const enterprise = await findEnterprise(work.tx, dto.enterpriseId, true);
      if (!enterprise || enterprise.regionId !== principal.org) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
      if (enterprise.status !== 'pending') {
        throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'enterpriseId', message: `enterprise is already ${enterprise.status}` });
      }
      const approve = dto.decision === 'approve';
      if (approve) {
        const region = (await findRegion(work.tx, enterprise.regionId))!;
        if (region.status === 'withdrawn') throw new DomainError(ErrorCode.REGION_WITHDRAWN, { field: 'enterpriseId', message: 'an enterprise of a withdrawn region cannot be approved' });
        if (region.defaulting) {
          throw new DomainError(ErrorCode.REGION_DEFAULTING, { field: 'enterpriseId', message: 'the region has overdue matching payments; approvals wait until it catches up' });
        }
      }
      await work.query(`UPDATE issuance.enterprises SET status = $2, decision_reason = $3, decided_at = now() WHERE id = $1`, [
        enterprise.id,
        approve ? 'approved' : 'rejected',
        dto.reason ?? null,
      ]);
      const decided = (await findEnterprise(work.tx, enterprise.id))!;
      await work.audit({ action: approve ? 'enterprise.approved' : 'enterprise.rejected', entityType: 'enterprise', entityId: enterprise.id, reason: dto.reason });
      await work.emit({
        subject: approve ? Events.enterpriseApproved : Events.enterpriseRejected,
        aggregateType: 'enterprise',
        aggregateId: enterprise.id,
        payload: enterpriseEvent(decided),
      });
      return decided;
    });
  }

  /** R-ENT-2: the SME registration number (入库登记编号) for a year, entered by the enterprise. */
  async setSme(principal: Principal, dto: SetSmeRegistrationDto, key?: string): Promise<EnterpriseView> {
    return this.uow.idempotent(principal, 'enterprise.set-sme', key, dto, async (work) => {
      const enterprise = await findEnterprise(work.tx, dto.enterpriseId);
      if (!enterprise || !actsForEnterprise(principal, enterprise)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
      await work.query(
        `INSERT INTO issuance.sme_registrations (enterprise_id, year, registration_number) VALUES ($1, $2, $3)
         ON CONFLICT (enterprise_id, year) DO UPDATE SET registration_number = EXCLUDED.registration_number`,
        [enterprise.id, dto.year, dto.registrationNumber],
      );
      await work.audit({ action: 'enterprise.sme-registered', entityType: 'enterprise', entityId: enterprise.id, data: dto });
      return (await findEnterprise(work.tx, enterprise.id))!;
    });
  }

  async get(principal: Principal, dto: EnterpriseIdDto): Promise<EnterpriseView> {
    const enterprise = await findEnterprise(this.uow.ds.manager, dto.enterpriseId);
    if (!enterprise) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
    assertMayRead(principal, enterprise);
    return enterprise;
  }

  /** Region admins list their own region; operators their province; the desk and auditors all. */
  async list(principal: Principal, dto: ListEnterprisesDto): Promise<{ items: EnterpriseView[] }> {
    let region: string | null = dto.regionId ?? null;
    let province: string | null = null;
    if (principal.role === Role.RegionAdmin) {
      if (region && region !== principal.org) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'regionId' });
      region = principal.org;
    } else if (principal.role === Role.ProgrammeOperator) {
      province = principal.province ?? '-';
    } else {
      requireRole(principal, Role.DeltaOperator, Role.Auditor);
    }
    const items = await this.uow.query<EnterpriseView>(
      `SELECT id, credit_code AS "creditCode", name, province, region_id AS "regionId", status, decision_reason AS "decisionReason"
         FROM issuance.enterprises
        WHERE ($1::uuid IS NULL OR region_id = $1) AND ($2::text IS NULL OR province = $2) AND ($3::text IS NULL OR status = $3)
        ORDER BY created_at LIMIT $4 OFFSET $5`,
      [region, province, dto.status ?? null, dto.limit ?? 100, dto.offset ?? 0],
    );
    return { items };
  }
}
