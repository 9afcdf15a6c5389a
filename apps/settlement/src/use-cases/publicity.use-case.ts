import { Injectable, Logger } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import {
  DecideObjectionDto,
  Events,
  ListObjectionsDto,
  ObjectionPage,
  ObjectionView,
  Principal,
  PublicityItemView,
  PublicityPage,
  PublicityQueryDto,
  PublicityRunSummary,
  Role,
  RunIdDto,
  RunView,
  SettlementRunEvent,
  validateDto,
} from '@vc/contracts';
import { shanghaiDate } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, CopyFreshness, UnitOfWork } from '@vc/platform';
import {
  calendarError,
  canReadProvince,
  countRunClaims,
  findRun,
  inRun,
  listedOf,
  operatedRun,
  RUN_COLUMNS,
  RunRow,
  runView,
  tallyDifferences,
} from '../settlement.sql';
import { calendarOf } from '../calendar/calendar.sql';
import { deferHeldClaim, objectionColumns, rejectHeldClaim } from './objections/objection-outcome.sql';
import { RenderPublicDocumentsUseCase } from './public-documents/render-public-documents.use-case';

const OBJECTION_COLUMNS = objectionColumns();

/**
 * SPEC 5.6 step 2 (公示), R-PUB-1: the approved list, enterprises included, is published for the
 * programme's publicityWorkingDays working days: the first N working days after the publication
 * date (the State Council schedule loaded as operations data, make-up days included; SPEC 3),
 * closing at 24:00 Shanghai of the last one.
 * Anyone may object during the window; an open objection holds the claim out of payment; upheld
 * rejects it, dismissed sends it to the next run.
 */
@Injectable()
export class PublicityUseCase {
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
   * carries stops rendering at the bound). The list is published even if they cannot be rendered
   * now; the timer renders them later (PublicDocumentsJob).
   */
  async publish(principal: Principal, dto: RunIdDto, key?: string): Promise<RunView> {
    dto = validateDto(RunIdDto, dto);
    const view = await this.publishList(principal, dto, key);
    await this.documents.renderDue().catch((err) => this.logger.warn(`public documents of run ${dto.runId} not rendered yet: ${(err as Error).message}`));
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

  /** The public list: runs whose window is open, or the published list of one run (paged). */
  async list(dto: PublicityQueryDto): Promise<PublicityPage> {
    const now = this.clock.now();
    const runs = await this.uow.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM settlement.runs
        WHERE published_on IS NOT NULL
          AND ($1::uuid IS NULL OR id = $1) AND ($2::text IS NULL OR programme_id = $2)
          AND ($1::uuid IS NOT NULL OR publicity_closes_at > $3)
        ORDER BY published_on DESC, programme_id LIMIT 100`,
      [dto.runId ?? null, dto.programmeId ?? null, now],
    );
    if (dto.runId && runs.length === 0) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'runId', message: 'no published run with this id' });
    const summaries: PublicityRunSummary[] = [];
    for (const run of runs) {
      const listed = listedOf(run);
      summaries.push({
        runId: run.id,
        programmeId: run.programme_id,
        quarter: run.quarter,
        publishedOn: run.published_on!,
        firstDay: run.publicity_first_day!,
        lastDay: run.publicity_last_day!,
        closesAt: run.publicity_closes_at!.toISOString(),
        open: run.state === 'publicity' && now < run.publicity_closes_at!,
        claimCount: listed.n,
        voucherFen: listed.fen,
      });
    }
    if (!dto.runId) return { runs: summaries };
    const items = await this.uow.query<PublicityItemView>(
      `SELECT claim_id AS "claimId", enterprise_name AS "enterpriseName", provider_name AS "providerName", provider_province AS "providerProvince",
              amount_fen AS "amountFen", voucher_fen AS "voucherFen", state = 'held' AS held
         FROM settlement.claims_current WHERE ${inRun('$1::uuid')} AND state IN ('approved', 'held', 'paid')
        ORDER BY claim_id LIMIT $2 OFFSET $3`,
      [dto.runId, dto.limit ?? 500, dto.offset ?? 0],
    );
    return { runs: summaries, items };
  }

  async decide(principal: Principal, dto: DecideObjectionDto, key?: string): Promise<ObjectionView> {
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

  async objections(principal: Principal, dto: ListObjectionsDto): Promise<ObjectionPage> {
    requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator, Role.Auditor);
    if (dto.runId) {
      const run = await findRun(this.uow.ds.manager, dto.runId);
      if (!run || !canReadProvince(principal, run.province)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'runId', message: 'no such settlement run' });
    }
    const province = principal.role === Role.ProgrammeOperator ? principal.province ?? '-' : null;
    const items = await this.uow.query<ObjectionView>(
      `SELECT ${objectionColumns('o.')}
         FROM settlement.objections o JOIN settlement.runs r ON r.id = o.run_id
        WHERE ($1::text IS NULL OR r.province = $1) AND ($2::uuid IS NULL OR o.run_id = $2) AND ($3::text IS NULL OR o.status = $3)
          AND ($6::uuid IS NULL OR o.claim_id = $6)
        ORDER BY o.filed_at LIMIT $4 OFFSET $5`,
      [province, dto.runId ?? null, dto.status ?? null, dto.limit ?? 100, dto.offset ?? 0, dto.claimId ?? null],
    );
    return { items };
  }
}
