import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import {
  InstructionView,
  ListInstructionsDto,
  ListRunClaimsDto,
  ListRunsDto,
  Principal,
  Role,
  RunClaimView,
  RunIdDto,
  RunView,
  validateDto,
} from '@vc/contracts';
import { UnitOfWork } from '@vc/platform';
import { readableRun } from '../sql/access';
import { inRun } from '../sql/claim-state';
import { CLAIM_VIEW_COLUMNS, RUN_COLUMNS, RunRow, runView, sentBackBy } from '../sql/runs';
import { INSTRUCTION_VIEW_COLUMNS } from '../bank/payments.sql';

/** The runs as their readers see them: one run, a list, a run's claims and its payment instructions. */
@Injectable()
export class RunQueries {
  constructor(private readonly uow: UnitOfWork) {}

  async get(principal: Principal, dto: RunIdDto): Promise<RunView> {
    dto = validateDto(RunIdDto, dto);
    return this.uow.run(principal, async (work) => runView(work.tx, await readableRun(work.tx, principal, dto.runId)));
  }

  async list(principal: Principal, dto: ListRunsDto): Promise<{ items: RunView[] }> {
    dto = validateDto(ListRunsDto, dto);
    requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator, Role.Auditor);
    const province = principal.role === Role.ProgrammeOperator ? principal.province ?? '-' : null;
    return this.uow.run(principal, async (work) => {
      const rows = await work.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM settlement.runs
          WHERE ($1::text IS NULL OR province = $1) AND ($2::text IS NULL OR programme_id = $2)
            AND ($3::text IS NULL OR quarter = $3) AND ($4::text IS NULL OR state = $4)
          ORDER BY quarter DESC, programme_id LIMIT $5 OFFSET $6`,
        [province, dto.programmeId ?? null, dto.quarter ?? null, dto.state ?? null, dto.limit ?? 100, dto.offset ?? 0],
      );
      const items: RunView[] = [];
      for (const row of rows) items.push(await runView(work.tx, row));
      return { items };
    });
  }

  async claims(principal: Principal, dto: ListRunClaimsDto): Promise<{ items: RunClaimView[] }> {
    return this.uow.run(principal, async (work) => {
      const run = await readableRun(work.tx, principal, dto.runId);
      const items = await work.query<RunClaimView>(
        `SELECT ${CLAIM_VIEW_COLUMNS} FROM settlement.claims_current
          WHERE ((${inRun('$1::uuid')}) OR (${sentBackBy('$1::uuid')}))
            AND ($2::text IS NULL OR state = $2) AND ($3::boolean IS NULL OR sampled = $3) AND ($4::uuid IS NULL OR payee_id = $4)
          ORDER BY claim_id LIMIT $5 OFFSET $6`,
        [run.id, dto.state ?? null, dto.sampled ?? null, dto.payeeId ?? null, dto.limit ?? 100, dto.offset ?? 0],
      );
      return { items };
    });
  }

  async instructions(principal: Principal, dto: ListInstructionsDto): Promise<{ items: InstructionView[]; totalFen: bigint; count: number }> {
    return this.uow.run(principal, async (work) => {
      const run = await readableRun(work.tx, principal, dto.runId);
      const items = await work.query<InstructionView>(
        `SELECT ${INSTRUCTION_VIEW_COLUMNS} FROM settlement.instructions WHERE run_id = $1 ORDER BY kind, payee_type, payee_id, id LIMIT $2 OFFSET $3`,
        [run.id, dto.limit ?? 1000, dto.offset ?? 0],
      );
      return { items, totalFen: run.instruction_fen, count: run.instruction_count };
    });
  }
}
