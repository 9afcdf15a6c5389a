import { Injectable } from '@nestjs/common';
import { DecideObjectionDto, ObjectionView, Principal } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { operatedRun } from '../../sql/access';
import { deferHeldClaim, objectionColumns, rejectHeldClaim } from './objection-outcome.sql';

const OBJECTION_COLUMNS = objectionColumns();

/** SPEC 5.6 step 2, R-PUB-1: an objection decided: upheld rejects the claim, dismissed sends it to the next run once none is open. */
@Injectable()
export class DecideObjectionUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: DecideObjectionDto, key?: string): Promise<ObjectionView> {
    return this.uow.idempotent(principal, 'objection.decide', key, dto, async (work) => {
      const [objectionOf] = await work.query<{ run_id: string }>(`SELECT run_id FROM settlement.objections WHERE id = $1`, [dto.objectionId]);
      if (!objectionOf) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'objectionId', message: 'no such objection' });
      // Locks in the order every step takes them: the run, then its objections, then the claim. An
      // upheld objection supersedes the claim's other open ones, so two decisions on one claim
      // would otherwise each hold an objection and wait for the other's.
      const run = await operatedRun(work.tx, principal, objectionOf.run_id, true);
      const [found] = await work.query<{ claim_id: string; status: string }>(`SELECT claim_id, status FROM settlement.objections WHERE id = $1 FOR UPDATE`, [dto.objectionId]);
      if (found.status !== 'open') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'objectionId', message: `the objection is already ${found.status}` });
      const now = this.clock.now();
      const upheld = dto.decision === 'uphold';
      const [objection] = await work.query<ObjectionView>(
        `UPDATE settlement.objections SET status = $2, decision_reason = $3, decided_by = $4, decided_at = $5 WHERE id = $1 AND status = 'open'
         RETURNING ${OBJECTION_COLUMNS}`,
        [dto.objectionId, upheld ? 'upheld' : 'dismissed', dto.reason, principal.sub, now],
      );
      if (upheld) {
        // The claim is rejected (V back to the budget through redemption); other objections are moot.
        await work.query(
          `UPDATE settlement.objections SET status = 'superseded', decision_reason = $3, decided_by = $4, decided_at = $5
            WHERE claim_id = $1 AND run_id = $2 AND status = 'open'`,
          [found.claim_id, run.id, `another objection was upheld: ${dto.reason}`, principal.sub, now],
        );
        await rejectHeldClaim(work.tx, run, found.claim_id, dto.reason, now);
      } else {
        // Dismissed: once no objection is open the claim goes to the next run (SPEC 5.6 step 2).
        await deferHeldClaim(work.tx, run, found.claim_id, dto.reason, now);
      }
      await work.audit({
        action: upheld ? 'objection.upheld' : 'objection.dismissed',
        entityType: 'claim',
        entityId: found.claim_id,
        reason: dto.reason,
        data: { objectionId: dto.objectionId, runId: run.id },
      });
      return objection;
    });
  }
}
