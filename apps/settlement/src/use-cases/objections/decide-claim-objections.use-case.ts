import { Injectable } from '@nestjs/common';
import { ClaimObjectionsDecidedView, DecideClaimObjectionsDto, Principal } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { operatedRun } from '../../sql/access';
import { deferHeldClaim, rejectHeldClaim } from './objection-outcome.sql';

/**
 * R-PUB-1 at the desk: the operator examines a claim and decides every open objection to it at
 * once, duplicates included, each with the decision's reason. Upheld: the claim is rejected (V
 * back to the budget). Dismissed: the claim goes to the next run, and a flood of objections cannot
 * keep it held — none is left open, and the contacts heard are not heard again on it.
 */
@Injectable()
export class DecideClaimObjectionsUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: DecideClaimObjectionsDto, key?: string): Promise<ClaimObjectionsDecidedView> {
    return this.uow.idempotent(principal, 'objection.decideClaim', key, dto, async (work) => {
      // Locks in the order every step takes them: the run, then its objections, then the claim.
      const run = await operatedRun(work.tx, principal, dto.runId, true);
      const open = await work.query<{ id: string }>(
        `SELECT id FROM settlement.objections WHERE run_id = $1 AND claim_id = $2 AND status = 'open' ORDER BY filed_at, id FOR UPDATE`,
        [run.id, dto.claimId],
      );
      if (open.length === 0) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'claimId', message: 'no open objection to this claim in this run' });
      const now = this.clock.now();
      const upheld = dto.decision === 'uphold';
      const ids = open.map((o) => o.id);
      await work.query(
        `UPDATE settlement.objections SET status = $2, decision_reason = $3, decided_by = $4, decided_at = $5 WHERE id = ANY($1::uuid[]) AND status = 'open'`,
        [ids, upheld ? 'upheld' : 'dismissed', dto.reason, principal.sub, now],
      );
      const moved = upheld ? await rejectHeldClaim(work.tx, run, dto.claimId, dto.reason, now) : await deferHeldClaim(work.tx, run, dto.claimId, dto.reason, now);
      if (!moved) {
        const [claim] = await work.query<{ state: string }>(`SELECT state FROM settlement.claims_current WHERE claim_id = $1`, [dto.claimId]);
        throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'claimId', message: `the claim is ${claim?.state ?? 'gone'}, not held by its objections` });
      }
      await work.audit({
        action: upheld ? 'objections.upheld' : 'objections.dismissed',
        entityType: 'claim',
        entityId: dto.claimId,
        reason: dto.reason,
        data: { runId: run.id, objectionIds: ids, count: ids.length },
      });
      return {
        runId: run.id,
        claimId: dto.claimId,
        outcome: upheld ? 'upheld' : 'dismissed',
        objectionsDecided: ids.length,
        claimState: upheld ? 'rejected' : 'deferred',
        reason: dto.reason,
        decidedAt: now.toISOString(),
      };
    });
  }
}
