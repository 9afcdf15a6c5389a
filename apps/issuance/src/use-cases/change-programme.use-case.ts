import { Injectable } from '@nestjs/common';
import { assertOperatorOf, operatorProvince } from '@vc/auth';
import { Events, Principal, ProgrammeView, UpdateProgrammeDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork, Work } from '@vc/platform';
import { recordBudget } from '../sql/ledger.sql';
import { getProgramme, insertVersion, programmeEvent, replaceDraftParameters } from '../sql/programmes.sql';

/**
 * R-PROG-1: parameters are fixed once the programme opens. A draft is edited in place; a change
 * of an open programme becomes a new version, effective from now, that applies to orders confirmed
 * after it (redemption records the version on each order from the event); a closed one is frozen.
 */
@Injectable()
export class ChangeProgrammeUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: UpdateProgrammeDto, idempotencyKey?: string): Promise<ProgrammeView> {
    operatorProvince(principal);
    return this.uow.idempotent(principal, 'programme.update', idempotencyKey, dto, async (work) => {
      const current = await getProgramme(work.tx, dto.programmeId, 'update');
      assertOperatorOf(principal, current.province, 'programmeId');
      switch (current.status) {
        case 'draft':
          return this.editDraft(work, current, dto);
        case 'open':
          return this.addVersion(work, current, dto);
        default:
          throw new DomainError(ErrorCode.PROGRAMME_FROZEN, { field: 'programmeId', message: `programme ${current.id} is closed; its parameters no longer change` });
      }
    });
  }

  private async editDraft(work: Work, current: ProgrammeView, dto: UpdateProgrammeDto): Promise<ProgrammeView> {
    await replaceDraftParameters(work, current.id, dto);
    await work.audit({ action: 'programme.draft-changed', entityType: 'programme', entityId: current.id, data: dto });
    return getProgramme(work.tx, current.id);
  }

  private async addVersion(work: Work, current: ProgrammeView, dto: UpdateProgrammeDto): Promise<ProgrammeView> {
    // Money already credited to redemption may be promised to paid orders: a budget never shrinks.
    if (dto.budgetFen < current.budgetFen) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, {
        field: 'budgetFen',
        message: `the budget of an open programme may only grow (now ${current.budgetFen} fen)`,
        details: { currentBudgetFen: current.budgetFen },
      });
    }
    const version = current.version + 1;
    await insertVersion(work, current.id, version, dto, this.clock.now());
    await work.query(`UPDATE issuance.programmes SET current_version = $2 WHERE id = $1`, [current.id, version]);
    if (dto.budgetFen > current.budgetFen) await recordBudget(work, current.id, dto.budgetFen - current.budgetFen, `version ${version}`);
    const versioned = await getProgramme(work.tx, current.id);
    await work.audit({ action: 'programme.versioned', entityType: 'programme', entityId: current.id, reason: `version ${version}`, data: dto });
    await work.emit({ subject: Events.programmeVersioned, aggregateType: 'programme', aggregateId: current.id, payload: programmeEvent(versioned) });
    return versioned;
  }
}
