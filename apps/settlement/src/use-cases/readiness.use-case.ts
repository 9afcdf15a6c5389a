import { Injectable } from '@nestjs/common';
import { ArrivalStateView, Principal, ReadinessQueryDto, Role, ServiceArrivalView } from '@vc/contracts';
import { UnitOfWork } from '@vc/platform';

const unknown: ArrivalStateView = { known: false, status: null, version: null, usable: false };

/**
 * Whether settlement has heard of a programme, an (approved) enterprise, a linked region: its copies
 * are fed by issuance's events, a moment after the write (docs/DEVELOPING.md, "Which reads lag which
 * writes"). Programmes and regions are reference data anyone signed in may ask about; an enterprise
 * only itself, its region's admin and overseers.
 */
@Injectable()
export class ReadinessUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: ReadinessQueryDto): Promise<ServiceArrivalView> {
    const view: ServiceArrivalView = { ready: true };
    if (dto.programmeId) {
      const [g] = await this.uow.query<{ status: string; version: number }>(`SELECT status, version FROM settlement.programmes WHERE id = $1`, [dto.programmeId]);
      view.programme = g ? { known: true, status: g.status, version: g.version, usable: g.status === 'open' || g.status === 'closed' } : unknown;
    }
    if (dto.regionId) {
      const [r] = await this.uow.query<{ status: string; version: bigint; defaulting: boolean | null }>(
        `SELECT r.status, r.version, s.defaulting FROM settlement.regions r LEFT JOIN settlement.region_status s ON s.region_id = r.id WHERE r.id = $1`,
        [dto.regionId],
      );
      view.region = r ? { known: true, status: r.defaulting ? 'defaulting' : r.status, version: Number(r.version), usable: r.status === 'active' } : unknown;
    }
    if (dto.enterpriseId) {
      const [e] = await this.uow.query<{ id: string; credit_code: string; region_id: string; province: string }>(
        `SELECT id, credit_code, region_id::text, province FROM settlement.enterprises WHERE id = $1`,
        [dto.enterpriseId],
      );
      const visible =
        e &&
        ((principal.role === Role.Enterprise && (principal.org === e.id || principal.org === e.credit_code)) ||
          (principal.role === Role.RegionAdmin && principal.org === e.region_id) ||
          (principal.role === Role.ProgrammeOperator && principal.province === e.province) ||
          principal.role === Role.DeltaOperator ||
          principal.role === Role.Auditor ||
          principal.role === Role.Service);
      // settlement keeps approved enterprises only
      view.enterprise = visible ? { known: true, status: 'approved', version: null, usable: true } : unknown;
    }
    view.ready = [view.programme, view.region, view.enterprise].every((k) => k === undefined || k.usable);
    return view;
  }
}
