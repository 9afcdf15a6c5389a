import { Injectable } from '@nestjs/common';
import { assertOperatorOf, operatorProvince } from '@vc/auth';
import { Events, Principal, ProgrammeIdDto, ProgrammeView } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { getProgramme, programmeEvent } from '../sql/programmes.sql';

/** open → closed: no more quota claims; what was granted stays with its orders and claims. */
@Injectable()
export class CloseProgrammeUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: ProgrammeIdDto, idempotencyKey?: string): Promise<ProgrammeView> {
    operatorProvince(principal);
    return this.uow.idempotent(principal, 'programme.close', idempotencyKey, dto, async (work) => {
      const open = await getProgramme(work.tx, dto.programmeId, 'update');
      assertOperatorOf(principal, open.province, 'programmeId');
      if (open.status !== 'open') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'programmeId', message: `programme ${open.id} is ${open.status}, not open` });
      await work.query(`UPDATE issuance.programmes SET status = 'closed', closed_at = $2 WHERE id = $1`, [open.id, this.clock.now()]);
      const closed = await getProgramme(work.tx, open.id);
      await work.audit({ action: 'programme.closed', entityType: 'programme', entityId: closed.id });
      await work.emit({ subject: Events.programmeClosed, aggregateType: 'programme', aggregateId: closed.id, payload: programmeEvent(closed) });
      return closed;
    });
  }
}
