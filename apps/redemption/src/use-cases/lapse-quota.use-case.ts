import { Injectable, Logger } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { LapseQuotaDto, Principal, QuotaLapseView, Role } from '@vc/contracts';
import { endOfShanghaiYear } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { currentCorrelationId } from '@vc/logging';
import { Clock, UnitOfWork } from '@vc/platform';
import { mapPg } from '../sql/redemption.sql';

/**
 * R-QUOTA-2: quota is valid until 31 December of its year (Asia/Shanghai); what is unused then
 * lapses, with no carry-over. Run after the year's end by a programme operator (its own province),
 * the delta desk or a scheduled service job: every unused balance of the year becomes a
 * quota_lapsed ledger entry and a voucher.events.quota.lapsed event, in one transaction.
 * Idempotent by state: a second run finds nothing left to lapse.
 */
@Injectable()
export class LapseQuotaUseCase {
  private readonly logger = new Logger('LapseQuota');

  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: LapseQuotaDto, idempotencyKey?: string): Promise<QuotaLapseView> {
    requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator, Role.Service);
    let province: string | null = null;
    if (principal.role === Role.ProgrammeOperator) {
      if (!principal.province) throw new DomainError(ErrorCode.FORBIDDEN, { message: 'operator token names no province' });
      province = principal.province;
      if (dto.programmeId && !dto.programmeId.startsWith(`${province}-`)) {
        throw new DomainError(ErrorCode.FORBIDDEN, { field: 'programmeId', message: 'an operator lapses quota of its own programme only' });
      }
    }
    if (dto.programmeId && !dto.programmeId.endsWith(`-${dto.year}`)) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'programmeId', message: `programme ${dto.programmeId} is not of year ${dto.year}` });
    }
    const now = this.clock.now();
    if (now.getTime() < endOfShanghaiYear(dto.year).getTime()) {
      throw new DomainError(ErrorCode.ILLEGAL_STATE, {
        field: 'year',
        message: `quota of ${dto.year} is valid until 31 December ${dto.year} (Asia/Shanghai); it lapses after that`,
      });
    }
    return mapPg(() =>
      this.uow.idempotent(principal, 'quota.lapse', idempotencyKey, dto, async (work) => {
        const rows = await work.query<{ programme_id: string; amount_fen: bigint }>(`SELECT * FROM redemption.lapse_quota($1, $2, $3, $4, $5)`, [
          dto.year, province, dto.programmeId ?? null, now, currentCorrelationId() ?? null,
        ]);
        const byProgramme = new Map<string, { programmeId: string; balancesLapsed: number; lapsedFen: bigint }>();
        for (const r of rows) {
          const p = byProgramme.get(r.programme_id) ?? { programmeId: r.programme_id, balancesLapsed: 0, lapsedFen: 0n };
          p.balancesLapsed++;
          p.lapsedFen += r.amount_fen;
          byProgramme.set(r.programme_id, p);
        }
        const programmes = [...byProgramme.values()].sort((a, b) => a.programmeId.localeCompare(b.programmeId));
        const view: QuotaLapseView = {
          year: dto.year,
          balancesLapsed: rows.length,
          lapsedFen: programmes.reduce((s, p) => s + p.lapsedFen, 0n),
          programmes,
        };
        await work.audit({ action: 'quota.lapsed', entityType: 'quota_year', entityId: `${dto.programmeId ?? province ?? 'ALL'}:${dto.year}`, data: view });
        this.logger.log({ year: dto.year, balancesLapsed: view.balancesLapsed, lapsedFen: view.lapsedFen.toString() }, 'year-end quota lapse');
        return view;
      }),
    );
  }
}
