import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import {
  ListObjectionsDto,
  ObjectionPage,
  ObjectionView,
  Principal,
  PublicityItemView,
  PublicityPage,
  PublicityQueryDto,
  PublicityRunSummary,
  Role,
} from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { canReadProvince } from '../sql/access';
import { inRun } from '../sql/claim-state';
import { findRun, listedOf, RUN_COLUMNS, RunRow } from '../sql/runs';
import { objectionColumns } from './objections/objection-outcome.sql';


/** R-PUB-1: the public list (runs in publicity, one run's published claims) and the objections, as their readers see them. */
@Injectable()
export class PublicityQueries {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

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
