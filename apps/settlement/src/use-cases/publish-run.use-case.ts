import { Injectable, Logger } from '@nestjs/common';
import { Events, Principal, RunIdDto, RunView, SettlementRunEvent, validateDto } from '@vc/contracts';
import { shanghaiDate } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, CopyFreshness, UnitOfWork } from '@vc/platform';
import { operatedRun } from '../sql/access';
import { calendarError } from '../sql/calendar-errors';
import { inRun } from '../sql/claim-state';
import { countRunClaims, tallyDifferences } from '../sql/counters';
import { findRun, runView } from '../sql/runs';
import { calendarOf } from '../calendar/calendar.sql';
import { RenderPublicDocumentsUseCase } from './public-documents/render-public-documents.use-case';


/**
 * SPEC 5.6 step 2 (公示), R-PUB-1: the approved list, enterprises included, is published for the
 * programme's publicityWorkingDays working days: the first N working days after the publication
 * date (the State Council schedule loaded as operations data, make-up days included; SPEC 3),
 * closing at 24:00 Shanghai of the last one.
 * Anyone may object during the window; an open objection holds the claim out of payment; upheld
 * rejects it, dismissed sends it to the next run.
 */

/** How long a publish waits for the run's public documents before answering without them. */
const PUBLISH_WAITS_FOR_DOCUMENTS_MS = 10_000;
@Injectable()
export class PublishRunUseCase {
  private readonly logger = new Logger('Publicity');

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly documents: RenderPublicDocumentsUseCase,
    private readonly copies: CopyFreshness,
  ) {}

  /**
   * Publishes the run's list, then renders its public documents before answering, so that they are
   * there when the operator announces the list (their size is bounded: a list larger than a reply
   * carries stops rendering at the bound), waiting PUBLISH_WAITS_FOR_DOCUMENTS_MS at most. The list is published even if they cannot be rendered
   * now; the timer renders them later (PublicDocumentsJob).
   */
  async execute(principal: Principal, dto: RunIdDto, key?: string): Promise<RunView> {
    dto = validateDto(RunIdDto, dto);
    const view = await this.publishList(principal, dto, key);
    const rendering = this.documents.renderDue().catch((err) => this.logger.warn(`public documents of run ${dto.runId} not rendered yet: ${(err as Error).message}`));
    // Waited for a while only: publishing a large run must not wait on its documents (they go on rendering).
    await Promise.race([rendering, new Promise((r) => setTimeout(r, PUBLISH_WAITS_FOR_DOCUMENTS_MS).unref())]);
    return view;
  }

  private async publishList(principal: Principal, dto: RunIdDto, key?: string): Promise<RunView> {
    return this.uow.idempotent(principal, 'run.publish', key, dto, async (work) => {
      const run = await operatedRun(work.tx, principal, dto.runId, true);
      if (run.state !== 'review') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: `the run is already ${run.state}` });
      // The gate before the list goes public reads the run's claims afresh (one pass): what is still
      // undecided, and what goes on the list.
      const fresh = await countRunClaims(work.tx, run, inRun('$1::uuid'), [run.id]);
      if (fresh.in_review_count > 0) {
        throw new DomainError(ErrorCode.REVIEW_INCOMPLETE, {
          field: 'runId',
          message: `${fresh.in_review_count} claims still wait for a decision (${fresh.sampled_in_review_count} of them sampled for inspection)`,
          details: { inReview: fresh.in_review_count, sampledInReview: fresh.sampled_in_review_count },
        });
      }
      // The run's counters must say the same, or a step moved claims without them: stop before the
      // list goes public (repair: settle recount, docs/operations.md).
      const differ = tallyDifferences(run, fresh).map((d) => `${d.column}: ${d.was} ≠ ${d.now}`);
      if (differ.length > 0) {
        throw new DomainError(ErrorCode.RUN_COUNTERS_DIFFER, {
          field: 'runId',
          message: `the run's counters differ from its claims (${differ.join('; ')}); recount the run (settle recount) before publishing`,
          details: { runId: run.id, differences: differ },
        });
      }
      // R-PUB-1: the window's length is the programme's, as issuance last said (no assumed length).
      this.copies.assertFresh('programmes', 'runId');
      const [programme] = await work.query<{ publicity_working_days: number }>(`SELECT publicity_working_days FROM settlement.programmes WHERE id = $1`, [run.programme_id]);
      if (!programme) {
        throw new DomainError(ErrorCode.COPY_MISSING, {
          field: 'runId',
          message: `settlement has not received programme ${run.programme_id} from issuance, so it does not know its publicity window; publish once it has`,
          details: { owner: 'issuance', programmeId: run.programme_id },
        });
      }
      const days = programme.publicity_working_days;
      const now = this.clock.now();
      const publishedOn = shanghaiDate(now);
      // The years' current schedules, read now: a year a delta operator loaded a moment ago, through
      // any instance or the CLI, counts here. A window reaching into a year not loaded is refused.
      const year = Number(publishedOn.slice(0, 4));
      const { calendar, versions } = await calendarOf(work.tx, [year, year + 1, year + 2]);
      let window: ReturnType<typeof calendar.publicityWindow>;
      try {
        window = calendar.publicityWindow(publishedOn, days);
      } catch (err) {
        calendarError(err);
      }
      const countedOn = versions.filter((v) => window.years.includes(v.year)).map((v) => ({ year: v.year, version: v.version }));
      await work.query(
        `UPDATE settlement.runs SET state = 'publicity', published_on = $2, publicity_first_day = $3, publicity_last_day = $4,
                publicity_closes_at = $5, publicity_working_days = $6, publicity_calendar = $8::jsonb, updated_at = $7
          WHERE id = $1 AND state = 'review'`,
        [run.id, publishedOn, window.firstDay, window.lastDay, window.closesAt, days, now, JSON.stringify(countedOn)],
      );
      const listed = { n: fresh.approved_count, fen: fresh.approved_fen };
      await work.audit({
        action: 'run.published',
        entityType: 'run',
        entityId: run.id,
        data: { publishedOn, firstDay: window.firstDay, lastDay: window.lastDay, closesAt: window.closesAt, workingDays: days, calendar: countedOn, listed: listed.n, listedFen: listed.fen },
      });
      const payload: SettlementRunEvent = {
        runId: run.id,
        programmeId: run.programme_id,
        quarter: run.quarter,
        state: 'publicity',
        claimCount: listed.n,
        totalFen: listed.fen.toString(),
        publishedOn,
        closesAt: window.closesAt.toISOString(),
      };
      await work.emit({ subject: Events.settlementRunPublished, aggregateType: 'run', aggregateId: run.id, payload });
      return runView(work.tx, (await findRun(work.tx, run.id))!);
    });
  }
}
