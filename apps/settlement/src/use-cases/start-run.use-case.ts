import { Injectable } from '@nestjs/common';
import { DEFAULT_SAMPLE_RATE_BP, Events, Principal, RunView, SettlementRunEvent, StartRunDto, validateDto } from '@vc/contracts';
import { newSeed, quarterBounds, sampleSize } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, CopyFreshness, UnitOfWork } from '@vc/platform';
import { assertOperatorOf, provinceOfProgramme } from '../sql/access';
import { inRun } from '../sql/claim-state';
import { collectionLock } from '../sql/locks';
import { findRun, runView } from '../sql/runs';
import { refreshClaimStatistics, useBulkMemory } from '../sql/statements';

/**
 * SPEC 5.6: a settlement run is (programme, quarter). Starting it collects, in one statement, every
 * claim of the programme submitted before the quarter's end (Asia/Shanghai) that no earlier run
 * settled (waiting, returned for amendment, or deferred by a dismissed objection), and draws the
 * seeded inspection sample (随机抽查) whose seed is stored with the run.
 */
@Injectable()
export class StartRunUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly copies: CopyFreshness) {}

  async execute(principal: Principal, dto: StartRunDto, key?: string): Promise<RunView> {
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
}
