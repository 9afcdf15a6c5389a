import { Injectable } from '@nestjs/common';
import { actsForEnterprise } from '@vc/auth';
import { ArrivalStateView, Principal, ReadinessQueryDto, Role, ServiceArrivalView } from '@vc/contracts';
import { UnitOfWork } from '@vc/platform';

const unknown: ArrivalStateView = { known: false, status: null, version: null, usable: false };

/**
 * Whether redemption has heard of a provider, an enterprise, a programme: its copies are fed by the
 * registry's and issuance's events, so a provider just admitted or a programme just opened reaches
 * it a moment later (docs/DEVELOPING.md, "Which reads lag which writes"). A client asks here
 * instead of retrying its first order. Providers and programmes are reference data anyone signed
 * in may ask about; an enterprise only itself, its region's admin and overseers (to anyone else it
 * is unknown, so ids cannot be probed).
 */
@Injectable()
export class ReadinessQueries {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: ReadinessQueryDto): Promise<ServiceArrivalView> {
    const view: ServiceArrivalView = { ready: true };
    if (dto.providerId) {
      const [p] = await this.uow.query<{ status: string; suspended: boolean; version: bigint }>(`SELECT status, suspended, version FROM redemption.providers WHERE id = $1`, [dto.providerId]);
      view.provider = p ? { known: true, status: p.suspended ? 'suspended' : p.status, version: Number(p.version), usable: p.status === 'active' && !p.suspended } : unknown;
    }
    if (dto.enterpriseId) {
      const [e] = await this.uow.query<{ id: string; credit_code: string; region_id: string; province: string; status: string }>(
        `SELECT id, credit_code, region_id, province, status FROM redemption.enterprises WHERE id = $1`,
        [dto.enterpriseId],
      );
      const visible =
        e &&
        (actsForEnterprise(principal, { id: e.id, creditCode: e.credit_code }) ||
          (principal.role === Role.RegionAdmin && principal.org === e.region_id) ||
          (principal.role === Role.ProgrammeOperator && principal.province === e.province) ||
          principal.role === Role.DeltaOperator ||
          principal.role === Role.Auditor ||
          principal.role === Role.Service);
      view.enterprise = visible ? { known: true, status: e.status, version: null, usable: e.status === 'approved' } : unknown;
    }
    if (dto.programmeId) {
      const [g] = await this.uow.query<{ status: string; current_version: number }>(`SELECT status, current_version FROM redemption.programmes WHERE id = $1`, [dto.programmeId]);
      view.programme = g ? { known: true, status: g.status, version: g.current_version, usable: g.status === 'open' } : unknown;
    }
    view.ready = [view.provider, view.enterprise, view.programme].every((k) => k === undefined || k.usable);
    return view;
  }
}
