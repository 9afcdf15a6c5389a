import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { Events, ExclusionView, LiftExclusionDto, Principal, Role, SetExclusionDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { findProvider, providerEvent } from '../providers/provider.sql';

const COLUMNS = `id, programme_id AS "programmeId", provider_id AS "providerId", reason, created_at AS "createdAt", lifted_at AS "liftedAt"`;

/** R-REG-2: a programme may exclude a provider from its own vouchers; only that province's operator decides. */
@Injectable()
export class ExclusionsUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  private assertOwnsProgramme(principal: Principal, programmeId: string): void {
    requireRole(principal, Role.ProgrammeOperator);
    if (!programmeId.startsWith(`${principal.province}-`)) {
      throw new DomainError(ErrorCode.FORBIDDEN, { field: 'programmeId', message: 'an operator excludes providers only from its own programme' });
    }
  }

  async exclude(principal: Principal, dto: SetExclusionDto, idempotencyKey?: string): Promise<ExclusionView> {
    this.assertOwnsProgramme(principal, dto.programmeId);
    return this.uow.idempotent(principal, 'exclusion.set', idempotencyKey, dto, async (work) => {
      const provider = await findProvider(work.tx, dto.providerId);
      if (!provider) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'providerId' });
      const rows = await work.query<ExclusionView>(
        `INSERT INTO registry.programme_exclusions (programme_id, provider_id, reason, excluded_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (programme_id, provider_id) WHERE lifted_at IS NULL DO NOTHING RETURNING ${COLUMNS}`,
        [dto.programmeId, dto.providerId, dto.reason, principal.sub],
      );
      if (rows.length === 0) throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'providerId', message: 'provider is already excluded from this programme' });
      await work.audit({ action: 'provider.excluded', entityType: 'provider', entityId: provider.id, reason: dto.reason, data: { programmeId: dto.programmeId } });
      await work.emit({
        subject: Events.providerExcluded,
        aggregateType: 'provider',
        aggregateId: provider.id,
        payload: await providerEvent(work.tx, provider.id, { programmeId: dto.programmeId }),
      });
      return rows[0];
    });
  }

  async lift(principal: Principal, dto: LiftExclusionDto, idempotencyKey?: string): Promise<ExclusionView> {
    this.assertOwnsProgramme(principal, dto.programmeId);
    return this.uow.idempotent(principal, 'exclusion.lift', idempotencyKey, dto, async (work) => {
      const rows = await work.query<ExclusionView>(
        `UPDATE registry.programme_exclusions SET lifted_at = now(), lifted_by = $3
          WHERE programme_id = $1 AND provider_id = $2 AND lifted_at IS NULL RETURNING ${COLUMNS}`,
        [dto.programmeId, dto.providerId, principal.sub],
      );
      if (rows.length === 0) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'providerId', message: 'provider is not excluded from this programme' });
      const provider = (await findProvider(work.tx, dto.providerId))!;
      await work.audit({ action: 'provider.exclusion-lifted', entityType: 'provider', entityId: provider.id, reason: dto.reason, data: { programmeId: dto.programmeId } });
      await work.emit({
        subject: Events.providerExclusionLifted,
        aggregateType: 'provider',
        aggregateId: provider.id,
        payload: await providerEvent(work.tx, provider.id, { programmeId: dto.programmeId }),
      });
      return rows[0];
    });
  }
}
