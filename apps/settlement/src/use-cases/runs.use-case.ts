import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import {
  DEFAULT_SAMPLE_RATE_BP,
  Events,
  InstructionView,
  ListInstructionsDto,
  ListRunClaimsDto,
  ListRunsDto,
  Principal,
  Role,
  RunClaimView,
  RunIdDto,
  RunView,
  SettlementRunEvent,
  StartRunDto,
  validateDto,
} from '@vc/contracts';
import { newSeed, quarterBounds, sampleSize } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, CopyFreshness, UnitOfWork } from '@vc/platform';
import {
  assertOperatorOf,
  CLAIM_VIEW_COLUMNS,
  collectionLock,
  countRunClaims,
  findRun,
  inRun,
  operatedRun,
  provinceOfProgramme,
  readableRun,
  RUN_COLUMNS,
  RunRow,
  refreshClaimStatistics,
  runView,
  RunTally,
  sentBackBy,
  tallyDifferences,
  useBulkMemory,
} from '../settlement.sql';
import { INSTRUCTION_VIEW_COLUMNS } from '../bank/payments.sql';

/**
 * SPEC 5.6: a settlement run is (programme, quarter). Starting it collects, in one statement, every
 * claim of the programme submitted before the quarter's end (Asia/Shanghai) that no earlier run
 * settled (waiting, returned for amendment, or deferred by a dismissed objection), and draws the
 * seeded inspection sample (随机抽查) whose seed is stored with the run.
 */
@Injectable()
export class RunsUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly copies: CopyFreshness) {}

  async start(principal: Principal, dto: StartRunDto, key?: string): Promise<RunView> {
    dto = validateDto(StartRunDto, dto);
    const province = provinceOfProgramme(dto.programmeId);
    assertOperatorOf(principal, province);
    let bounds: { endExclusive: Date };
    try {
      bounds = quarterBounds(dto.quarter);
    } catch {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'quarter', message: 'quarter must look like 2026Q3' });
    }
    const now = this.clock.now();
    if (now < bounds.endExclusive) {
      throw new DomainError(ErrorCode.QUARTER_NOT_ENDED, {
        field: 'quarter',
        message: `${dto.quarter} ends at ${bounds.endExclusive.toISOString()} (Asia/Shanghai midnight); a run starts after it`,
        details: { quarterEnd: bounds.endExclusive.toISOString() },
      });
    }
    return this.uow.idempotent(principal, 'run.start', key, dto, async (work) => {
      // The run is of a programme as issuance last said: settlement's copy no older than its bound.
      this.copies.assertFresh('programmes', 'programmeId');
      const [programme] = await work.query(`SELECT id, province FROM settlement.programmes WHERE id = $1`, [dto.programmeId]);
      if (!programme) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'programmeId', message: `programme ${dto.programmeId} is not known to settlement` });
      // Claims arriving now either commit before this collection reads them, or wait and then see
      // this run and are filed for the next one (the projection takes the same lock, shared).
      await work.query(...collectionLock(dto.programmeId, 'exclusive'));
      const seed = dto.seed ?? newSeed();
      const rateBp = dto.sampleRateBp ?? DEFAULT_SAMPLE_RATE_BP;
      const [created] = await work.query<{ id: string }>(
        `INSERT INTO settlement.runs (programme_id, province, quarter, quarter_end, state, seed, sample_rate_bp, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'review', $5, $6, $7, $8, $8)
         ON CONFLICT (programme_id, quarter) DO NOTHING RETURNING id`,
        [dto.programmeId, province, dto.quarter, bounds.endExclusive, seed, rateBp, principal.sub, now],
      );
      if (!created) {
        const [existing] = await work.query(`SELECT id FROM settlement.runs WHERE programme_id = $1 AND quarter = $2`, [dto.programmeId, dto.quarter]);
        throw new DomainError(ErrorCode.ALREADY_EXISTS, {
          field: 'quarter',
          message: `the ${dto.quarter} run of ${dto.programmeId} exists; resume it`,
          details: { runId: existing.id },
        });
      }
      const runId = created.id;
      await useBulkMemory(work.tx);
      // Collection: one set-wise UPDATE. The run takes the claims filed under its quarter (unchanged:
      // HOT updates, no index entry; migration 1764000000404), those of earlier quarters that no run
      // took, and those waiting for the next run (run_quarter NULL: sent back, or arrived after their
      // quarter's run), and files them all under its quarter.
      const [collected] = await work.query<{ n: number; fen: bigint }>(
        `WITH c AS (
           UPDATE settlement.claims SET run_id = $1, run_quarter = $4, state = 'in_review', sampled = false, decision_reason = NULL, decided_at = NULL
            WHERE programme_id = $2 AND run_id IS NULL AND state IN ('pending', 'returned', 'deferred')
              AND ((run_quarter <= $4 AND run_quarter > COALESCE((SELECT max(quarter) FROM settlement.runs WHERE programme_id = $2 AND quarter < $4), ''))
                   OR (run_quarter IS NULL AND submitted_at < $3))
            RETURNING voucher_fen)
         SELECT count(*)::int AS n, COALESCE(sum(voucher_fen), 0)::bigint AS fen FROM c`,
        [runId, dto.programmeId, bounds.endExclusive, dto.quarter],
      );
      await refreshClaimStatistics(work.tx);
      // The sample: the claims with the lowest sha256(seed ‖ 0x00 ‖ claim id), exactly as seededSample
      // in libs/domain ranks them, so the stored seed reproduces it anywhere. k never exceeds the
      // claims collected, so exactly k are marked. Hashing every claim id of the run is most of the
      // sample's cost, so the ranking is a statement of its own that PostgreSQL may spread over
      // parallel workers (a statement that writes to a table may not, but one that creates it may);
      // its result stays in the database, in a table dropped at commit, however large the run.
      // The seed and its separator are one bytea parameter, not converted again for every claim.
      const k = sampleSize(collected.n, { num: rateBp, den: 10000 });
      if (k > 0) {
        await work.query(
          `CREATE TEMP TABLE run_sample ON COMMIT DROP AS
             SELECT ctid AS tid FROM settlement.claims WHERE ${inRun('$1::uuid')}
              ORDER BY sha256($2::bytea || convert_to(claim_id::text, 'UTF8')) LIMIT $3`,
          [runId, Buffer.concat([Buffer.from(seed, 'utf8'), Buffer.from([0])]), k],
        );
        // The k are marked where they lie: a TID scan visits the chosen row versions in page order,
        // with no index lookup (docs/performance.md, "What the 10 M pay statement spent its time
        // on"). The versions stay where they are until commit: this transaction wrote, and so
        // holds, every claim of the run.
        const [marked] = await work.query<{ n: number }>(
          `WITH m AS (
             UPDATE settlement.claims c SET sampled = true
              WHERE c.ctid = ANY (ARRAY(SELECT tid FROM run_sample)) AND c.run_id = $1 RETURNING 1)
           SELECT count(*)::int AS n FROM m`,
          [runId],
        );
        if (marked.n !== k) throw new DomainError(ErrorCode.INTERNAL);
      }
      // Every claim collected is in review (migration 1764000000406 keeps the count on the run).
      await work.query(
        `UPDATE settlement.runs SET collected_count = $2, collected_fen = $3, in_review_count = $2, sampled_in_review_count = $4 WHERE id = $1`,
        [runId, collected.n, collected.fen, k],
      );
      await work.audit({
        action: 'run.started',
        entityType: 'run',
        entityId: runId,
        data: { programmeId: dto.programmeId, quarter: dto.quarter, collected: collected.n, collectedFen: collected.fen, seed, sampleRateBp: rateBp, sampled: k },
      });
      const payload: SettlementRunEvent = {
        runId,
        programmeId: dto.programmeId,
        quarter: dto.quarter,
        state: 'review',
        claimCount: collected.n,
        totalFen: collected.fen.toString(),
      };
      await work.emit({ subject: Events.settlementRunStarted, aggregateType: 'run', aggregateId: runId, payload });
      return runView(work.tx, (await findRun(work.tx, runId))!);
    });
  }

  /**
   * Counts a run's claims afresh and sets its counters to the count (migrations 1764000000406 and
   * 1764000000407), holding the run's row so no step moves its claims meanwhile. The claims are
   * those whose run_id is the run's, as the migrations and the ledger check count them: a scan of
   * the table, not `inRun`'s index, so that a claim filed under the wrong quarter is counted too. For a run the
   * ledger check names (docs/operations.md); audited with what changed. A run whose counters are
   * right is left as it is.
   */
  async recount(principal: Principal, dto: RunIdDto): Promise<{ run: RunView; changed: Record<string, { was: string; now: string }> }> {
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
