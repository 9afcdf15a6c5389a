import { Injectable } from '@nestjs/common';
import { Principal, RunIdDto, RunView, validateDto } from '@vc/contracts';
import { Clock, UnitOfWork } from '@vc/platform';
import { operatedRun } from '../sql/access';
import { countRunClaims, RunTally, tallyDifferences } from '../sql/counters';
import { RUN_COLUMNS, RunRow, runView } from '../sql/runs';
import { useBulkMemory } from '../sql/statements';

/** R-LEDGER-1: a run's counters set to a fresh count of its claims (`settle recount`). */
@Injectable()
export class RecountRunUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  /**
   * Counts a run's claims afresh and sets its counters to the count (migrations 1764000000406 and
   * 1764000000407), holding the run's row so no step moves its claims meanwhile. The claims are
   * those whose run_id is the run's, as the migrations and the ledger check count them: a scan of
   * the table, not `inRun`'s index, so that a claim filed under the wrong quarter is counted too. For a run the
   * ledger check names (docs/operations.md); audited with what changed. A run whose counters are
   * right is left as it is.
   */
  async execute(principal: Principal, dto: RunIdDto): Promise<{ run: RunView; changed: Record<string, { was: string; now: string }> }> {
    dto = validateDto(RunIdDto, dto);
    return this.uow.run(principal, async (work) => {
      const run = await operatedRun(work.tx, principal, dto.runId, true);
      await useBulkMemory(work.tx);
      const fresh = await countRunClaims(work.tx, run, 'run_id = $1', [run.id]);
      const changed = Object.fromEntries(tallyDifferences(run, fresh).map(({ column, was, now }) => [column, { was, now }]));
      if (Object.keys(changed).length === 0) return { run: await runView(work.tx, run), changed };
      const columns = Object.keys(fresh);
      const [updated] = await work.query<RunRow>(
        `UPDATE settlement.runs SET ${columns.map((c, i) => `${c} = $${i + 2}`).join(', ')}, updated_at = $${columns.length + 2} WHERE id = $1 RETURNING ${RUN_COLUMNS}`,
        [run.id, ...columns.map((c) => String(fresh[c as keyof RunTally])), this.clock.now()],
      );
      await work.audit({ action: 'run.recounted', entityType: 'run', entityId: run.id, data: { changed } });
      return { run: await runView(work.tx, updated), changed };
    });
  }
}
