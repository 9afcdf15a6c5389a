import { Injectable } from '@nestjs/common';
import { assertOperatorOf, operatorProvince } from '@vc/auth';
import { Events, Principal, ProgrammeIdDto, ProgrammeView } from '@vc/contracts';
import { shanghaiYear } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { recordBudget } from '../sql/ledger.sql';
import { getProgramme, programmeEvent } from '../sql/programmes.sql';

/**
 * draft → open: version 1 takes effect now and its parameters are fixed from here on (R-PROG-1).
 * The budget enters the ledger and, through programme.opened, redemption's live balance (ADR 0003).
 */
@Injectable()
export class OpenProgrammeUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: ProgrammeIdDto, idempotencyKey?: string): Promise<ProgrammeView> {
    operatorProvince(principal);
    return this.uow.idempotent(principal, 'programme.open', idempotencyKey, dto, async (work) => {
      const draft = await getProgramme(work.tx, dto.programmeId, 'update');
      assertOperatorOf(principal, draft.province, 'programmeId');
      if (draft.status !== 'draft') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'programmeId', message: `programme ${draft.id} is ${draft.status}, not draft` });
      const now = this.clock.now();
      // A year that has ended in Shanghai can grant no quota (R-QUOTA-2): opening it would only strand budget.
      if (draft.year < shanghaiYear(now)) {
        throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'programmeId', message: `the year ${draft.year} has ended (Asia/Shanghai)` });
      }
      await work.query(`UPDATE issuance.programmes SET status = 'open', opened_at = $2 WHERE id = $1`, [draft.id, now]);
      await work.query(`UPDATE issuance.programme_versions SET effective_from = $2 WHERE programme_id = $1 AND version = 1`, [draft.id, now]);
      const opened = await getProgramme(work.tx, draft.id);
      await recordBudget(work, opened.id, opened.budgetFen, 'opened');
      await work.audit({ action: 'programme.opened', entityType: 'programme', entityId: opened.id });
      await work.emit({ subject: Events.programmeOpened, aggregateType: 'programme', aggregateId: opened.id, payload: programmeEvent(opened) });
      return opened;
    });
  }
}
