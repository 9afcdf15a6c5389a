import { Injectable } from '@nestjs/common';
import {
  Events,
  Principal,
  ReviewResult,
  ReviewRunDto,
  validateDto,
} from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork, Work } from '@vc/platform';
import { operatedRun } from '../sql/access';
import { approvedByApproveAll, currentState, inRun } from '../sql/claim-state';
import { moved, plus, RunTally, tallyRun } from '../sql/counters';
import { RunRow } from '../sql/runs';
import { claimEventsInsert, useBulkMemory } from '../sql/statements';

/**
 * SPEC 5.6 step 1 (审核): each claim is approved, rejected with a reason (V goes back to the budget:
 * redemption does it on claim-rejected) or returned for amendment (it waits for the next run).
 * Every transition is one conditional set-wise UPDATE (only claims of this run still in review),
 * with its events written to the outbox by the same statement.
 */
@Injectable()
export class ReviewUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: ReviewRunDto, key?: string): Promise<ReviewResult> {
    dto = validateDto(ReviewRunDto, dto);
    const decisions = dto.decisions ?? [];
    if (decisions.length === 0 && !dto.approveAll) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'decisions', message: 'give decisions, approveAll, or both' });
    }
    const seen = new Set<string>();
    decisions.forEach((d, i) => {
      if (seen.has(d.claimId)) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: `decisions.${i}.claimId`, message: 'a claim is decided once per request' });
      seen.add(d.claimId);
    });
    return this.uow.idempotent(principal, 'run.review', key, dto, async (work) => {
      const run = await operatedRun(work.tx, principal, dto.runId, true);
      if (run.state !== 'review') {
        throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: `the run is in ${run.state}; review is over` });
      }
      const now = this.clock.now();
      await useBulkMemory(work.tx);
      const counts = { approved: 0, rejected: 0, returned: 0 };
      const tallies: RunTally[] = [];
      if (decisions.length > 0) {
        await this.checkDecidable(work, run, decisions.map((d) => d.claimId));
        const changed = await this.decide(work, run, decisions.map((d) => d.claimId), decisions.map((d) => d.decision), decisions.map((d) => d.reason ?? null), now);
        if (changed.total !== decisions.length) throw new DomainError(ErrorCode.INTERNAL);
        Object.assign(counts, changed.byState);
        tallies.push(changed.tally);
      }
      // Approve-all is recorded on the run (ADR 0008), once: the claims still in review that are
      // neither sampled nor flagged are approved by it and are not rewritten. They are read once,
      // for their count and their claim-approved events. A flag arriving later writes the
      // approval onto its claim first (lockClaim), so this set does not change afterwards.
      if (dto.approveAll) {
        const [marked] = await work.query(`UPDATE settlement.runs SET approved_at = $2 WHERE id = $1 AND approved_at IS NULL RETURNING id`, [run.id, now]);
        if (marked) {
          const [row] = await work.query<{ n: number; fen: bigint }>(
            `WITH approved AS MATERIALIZED (
               SELECT claim_id, voucher_fen FROM settlement.claims
                WHERE ${inRun('$1::uuid')} AND ${approvedByApproveAll()}),
             ev AS (${claimEventsInsert('approved', Events.settlementClaimApproved, run, now)})
             SELECT count(*)::int AS n, COALESCE(sum(voucher_fen), 0)::bigint AS fen FROM approved`,
            [run.id],
          );
          counts.approved += row.n;
          tallies.push(moved('in_review', 'approved', row.n, row.fen));
        }
      }
      // The run's counters move with its claims (migrations 1764000000406, 1764000000407); what is
      // left in review is read from them. Approve-all takes no sampled claim.
      const left = await tallyRun(work.tx, run.id, plus(...tallies), now);
      await work.audit({
        action: 'run.reviewed',
        entityType: 'run',
        entityId: run.id,
        data: { ...counts, approveAll: dto.approveAll ?? false, decisions: decisions.length <= 100 ? decisions : `${decisions.length} decisions` },
      });
      return { runId: run.id, ...counts, inReview: left.in_review_count, sampledInReview: left.sampled_in_review_count };
    });
  }

  private async decide(work: Work, run: RunRow, ids: string[], decisions: string[], reasons: Array<string | null>, now: Date) {
    const rows = await work.query<{ state: string; n: number; sampled: number; fen: bigint }>(
      `WITH d AS (SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[]) AS d(claim_id, decision, reason)),
       changed AS (
         UPDATE settlement.claims c
            SET state = CASE d.decision WHEN 'approve' THEN 'approved' WHEN 'reject' THEN 'rejected' ELSE 'returned' END,
                decision_reason = d.reason, decided_at = $5,
                -- a returned claim waits for the programme's next run (migration 1764000000404)
                last_run_id = CASE WHEN d.decision = 'return' THEN c.run_id ELSE c.last_run_id END,
                run_quarter = CASE WHEN d.decision = 'return' THEN NULL ELSE c.run_quarter END,
                run_id = CASE WHEN d.decision = 'return' THEN NULL ELSE c.run_id END
           FROM d
          WHERE c.claim_id = d.claim_id AND c.run_id = $1 AND c.state = 'in_review'${run.approved_at ? ' AND (c.sampled OR c.flagged)' : ''}
          RETURNING c.claim_id, c.order_id, c.voucher_fen, c.decision_reason, c.state, c.sampled),
       approved AS (SELECT * FROM changed WHERE state = 'approved'),
       rejected AS (SELECT * FROM changed WHERE state = 'rejected'),
       returned AS (SELECT * FROM changed WHERE state = 'returned'),
       e1 AS (${claimEventsInsert('approved', Events.settlementClaimApproved, run, now)}),
       e2 AS (${claimEventsInsert('rejected', Events.settlementClaimRejected, run, now)}),
       e3 AS (${claimEventsInsert('returned', Events.settlementClaimReturned, run, now)})
       SELECT state, count(*)::int AS n, count(*) FILTER (WHERE sampled)::int AS sampled, sum(voucher_fen)::bigint AS fen FROM changed GROUP BY state`,
      [run.id, ids, decisions, reasons, now],
    );
    const byState = { approved: 0, rejected: 0, returned: 0 };
    const tallies: RunTally[] = [];
    let total = 0;
    for (const r of rows) {
      byState[r.state as keyof typeof byState] = r.n;
      total += r.n;
      // a returned claim leaves the run (it waits for the next one)
      tallies.push(moved('in_review', r.state === 'returned' ? null : (r.state as 'approved' | 'rejected'), r.n, r.fen), { sampled_in_review_count: -r.sampled });
    }
    return { total, byState, tally: plus(...tallies) };
  }

  /** Every claim must be of this run and still in review, else the first that is not is named and nothing is written. */
  private async checkDecidable(work: Work, run: RunRow, ids: string[]): Promise<void> {
    const runId = run.id;
    const rows = await work.query<{ claim_id: string; run_id: string | null; last_run_id: string | null; state: string }>(
      // the state as it now stands: a claim the run's approve-all approved is no longer in review (ADR 0008)
      `SELECT claim_id, run_id, last_run_id, CASE WHEN run_id = $2 THEN ${currentState(run)} ELSE state END AS state
         FROM settlement.claims WHERE claim_id = ANY($1::uuid[]) FOR UPDATE`,
      [ids, run.id],
    );
    const byId = new Map(rows.map((r) => [r.claim_id, r]));
    for (let i = 0; i < ids.length; i++) {
      const row = byId.get(ids[i]);
      if (!row || (row.run_id !== runId && !(row.run_id === null && row.last_run_id === runId))) {
        throw new DomainError(ErrorCode.NOT_FOUND, { field: `decisions.${i}.claimId`, message: `claim ${ids[i]} is not in this run`, details: { claimId: ids[i] } });
      }
      if (row.run_id !== runId || row.state !== 'in_review') {
        throw new DomainError(ErrorCode.ILLEGAL_STATE, {
          field: `decisions.${i}.claimId`,
          message: `claim ${ids[i]} is already decided (${row.state})`,
          details: { claimId: ids[i], state: row.state },
        });
      }
    }
  }
}
