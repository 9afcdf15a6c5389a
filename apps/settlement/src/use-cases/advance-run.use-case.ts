import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AdvanceRunDto, ClaimDecisionDto, Principal, RunView, validateDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { DisburseUseCase } from './disburse.use-case';
import { RunProgress, SILENT } from './progress';
import { PublishRunUseCase } from './publish-run.use-case';
import { ReviewUseCase } from './review.use-case';
import { RunQueries } from './run-queries';
import { StartRunUseCase } from './start-run.use-case';

/** Review decisions per request (ReviewRunDto's bound). */
const REVIEW_BATCH = 1000;

/**
 * SPEC 5.6: the quarterly run of a programme taken as far as it can go now, each step by its own
 * use case with its own idempotency key, so that running it again after a crash or a refusal
 * repeats nothing: start (collect and sample) when the run does not exist; the review decisions not
 * yet in effect, 1,000 per request; approve-all; publication once nothing is left in review; the
 * disbursement once the publicity has closed. The `settle run` verb is its transport.
 */
@Injectable()
export class AdvanceRunUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly startRun: StartRunUseCase,
    private readonly runs: RunQueries,
    private readonly review: ReviewUseCase,
    private readonly publishRun: PublishRunUseCase,
    private readonly disbursement: DisburseUseCase,
  ) {}

  async execute(principal: Principal, input: AdvanceRunDto, progress: RunProgress = SILENT): Promise<RunView> {
    const dto = validateDto(AdvanceRunDto, input);
    const decisions = dto.decisions ?? [];
    let run = await this.find(principal, dto);
    if (run && dto.seed !== undefined && dto.seed !== run.seed) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'seed', message: `the run exists with seed ${run.seed}: a seed applies only when a run starts` });
    }
    if (run && dto.sampleRateBp !== undefined && dto.sampleRateBp !== run.sampleRateBp) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, {
        field: 'sampleRateBp',
        message: `the run exists with a sample of ${run.sampleRateBp} bp: a sample rate applies only when a run starts`,
      });
    }
    if (!run) {
      progress.start('collect', 1);
      const started = await this.startRun.execute(
        principal,
        { programmeId: dto.programmeId!, quarter: dto.quarter!, sampleRateBp: dto.sampleRateBp, seed: dto.seed },
        `cli:start:${dto.programmeId}:${dto.quarter}`,
      );
      progress.tick({ collected: started.collectedCount, fen: started.collectedFen });
      progress.stop();
      run = await this.runs.get(principal, { runId: started.id });
    }
    if (run.state !== 'review' && (decisions.length || dto.approveAll)) {
      progress.note(`the run is ${run.state}, past review: decisions and approve-all change nothing now`, { state: run.state });
    }
    if (run.state === 'review') {
      // A file run again after a batch was refused (and the file mended): what it decided already
      // is not sent again, which would be refused as decided; only the rest is.
      const todo = await this.undecided(run.id, decisions);
      if (todo.length < decisions.length) {
        progress.note(`${decisions.length - todo.length} decisions are in effect already: not sent again`, { skipped: decisions.length - todo.length });
      }
      if (todo.length) {
        const digest = createHash('sha256').update(JSON.stringify(todo)).digest('hex').slice(0, 16);
        progress.start('review', todo.length);
        for (let b = 0; b * REVIEW_BATCH < todo.length; b++) {
          const batch = todo.slice(b * REVIEW_BATCH, (b + 1) * REVIEW_BATCH);
          // A rerun of the same decisions replays the stored replies: nothing is decided twice.
          const result = await this.review.execute(principal, { runId: run.id, decisions: batch }, `cli:review:${run.id}:${digest}:${b}`);
          progress.tick({ inReview: result.inReview }, batch.length);
        }
        progress.stop();
      }
      if (dto.approveAll) await this.review.execute(principal, { runId: run.id, approveAll: true }, `cli:approve-all:${run.id}:${this.clock.now().toISOString()}`);
      run = await this.runs.get(principal, { runId: run.id });
      if (dto.publish !== false && !run.counts.in_review) {
        run = await this.publishRun.execute(principal, { runId: run.id }, `cli:publish:${run.id}`);
      }
    }
    if (run.state !== 'review' && run.state !== 'completed' && this.clock.now() >= new Date(run.publication!.closesAt)) {
      progress.start('disburse', 3);
      run = await this.disbursement.execute(principal, { runId: run.id }, (step, detail) => progress.tick({ step, ...detail }));
      progress.stop();
    }
    return run;
  }

  /** The run named by id, or by programme and quarter (null when that run has not started). */
  private async find(principal: Principal, dto: AdvanceRunDto): Promise<RunView | null> {
    if (dto.runId) return this.runs.get(principal, { runId: dto.runId });
    if (!dto.programmeId || !dto.quarter) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'runId', message: 'name the run by runId, or by programmeId and quarter' });
    }
    const { items } = await this.runs.list(principal, { programmeId: dto.programmeId, quarter: dto.quarter });
    return items[0] ?? null;
  }

  /** The decisions whose claim is not yet where the decision takes it (approved, rejected, or returned by this run). */
  private async undecided(runId: string, decisions: ClaimDecisionDto[]): Promise<ClaimDecisionDto[]> {
    if (!decisions.length) return decisions;
    // Approved or rejected: the claim is in this run with that state. Returned: this run sent it
    // back, whatever has happened to it since (amended, it is pending again for the next run).
    const done = await this.uow.query<{ claim_id: string; outcome: string }>(
      `SELECT claim_id::text, CASE WHEN run_id = $2 THEN state WHEN state <> 'deferred' THEN 'returned' END AS outcome
         FROM settlement.claims_current
        WHERE claim_id = ANY ($1::uuid[]) AND (run_id = $2 OR (last_run_id = $2 AND run_id IS DISTINCT FROM $2))`,
      [decisions.map((d) => d.claimId), runId],
    );
    const reached = new Map(done.map((c) => [c.claim_id, c.outcome]));
    const target: Record<string, string> = { approve: 'approved', reject: 'rejected', return: 'returned' };
    return decisions.filter((d) => reached.get(d.claimId.toLowerCase()) !== target[d.decision]);
  }
}
