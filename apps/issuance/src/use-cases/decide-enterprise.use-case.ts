import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { DecideEnterpriseDto, EnterpriseView, Events, Principal, RegionView, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { enterpriseEvent, findEnterprise } from '../sql/enterprises.sql';
import { getRegion } from '../sql/regions.sql';

/**
 * R-ENT-1: the admin of the enterprise's region approves it or rejects it with a reason. No
 * approvals for a withdrawn region, nor for one settlement reports as defaulting on its matching
 * payments (R-MATCH-1) until it catches up; rejections stay possible.
 */
@Injectable()
export class DecideEnterpriseUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: DecideEnterpriseDto, idempotencyKey?: string): Promise<EnterpriseView> {
    requireRole(principal, Role.RegionAdmin);
    return this.uow.idempotent(principal, 'enterprise.decide', idempotencyKey, dto, async (work) => {
      const enterprise = await findEnterprise(work.tx, dto.enterpriseId, true);
      // another region's enterprise is answered as missing, so ids cannot be probed
      if (!enterprise || enterprise.regionId !== principal.org) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
      if (enterprise.status !== 'pending') {
        throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'enterpriseId', message: `the enterprise is already ${enterprise.status}` });
      }
      const approve = dto.decision === 'approve';
      if (approve) this.assertRegionMayApprove(await getRegion(work.tx, enterprise.regionId, 'share'));
      await work.query(`UPDATE issuance.enterprises SET status = $2, decision_reason = $3, decided_at = now() WHERE id = $1 AND status = 'pending'`, [
        enterprise.id,
        approve ? 'approved' : 'rejected',
        dto.reason ?? null,
      ]);
      const decided = (await findEnterprise(work.tx, enterprise.id))!;
      await work.audit({ action: `enterprise.${decided.status}`, entityType: 'enterprise', entityId: decided.id, reason: dto.reason ?? null });
      await work.emit({
        subject: approve ? Events.enterpriseApproved : Events.enterpriseRejected,
        aggregateType: 'enterprise',
        aggregateId: decided.id,
        payload: enterpriseEvent(decided),
      });
      return decided;
    });
  }

  private assertRegionMayApprove(region: RegionView): void {
    if (region.status === 'withdrawn') {
      throw new DomainError(ErrorCode.REGION_WITHDRAWN, { field: 'enterpriseId', message: `region ${region.name} has withdrawn; its enterprises cannot be approved` });
    }
    if (region.defaulting) {
      throw new DomainError(ErrorCode.REGION_DEFAULTING, {
        field: 'enterpriseId',
        message: `region ${region.name} has overdue matching payments; approvals wait until it catches up`,
      });
    }
  }
}
