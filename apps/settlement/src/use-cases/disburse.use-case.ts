import { Injectable, Logger } from '@nestjs/common';
import { Events, Principal, RunIdDto, RunView, SettlementRunEvent, validateDto } from '@vc/contracts';
import { advisoryKey } from '@vc/database';
import { addMonthsClamped, shanghaiDate } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, CopyFreshness, UnitOfWork, Work } from '@vc/platform';
import { ConfirmPayments } from './confirm-payments';
import { operatedRun } from '../sql/access';
import { approvedBy, inRun } from '../sql/claim-state';
import { moved, tallyRun } from '../sql/counters';
import { matchingShare, ratioMicro } from '../sql/matching';
import { findRun, RunRow, runView } from '../sql/runs';
import { claimEventsInsert, statementLinesInsert, useBulkMemory } from '../sql/statements';

export type DisbursementStep = 'instructions' | 'paid' | 'statement';

/** Progress of a long step, for the CLI's bar or log lines. */
export type StepListener = (step: DisbursementStep, detail: Record<string, unknown>) => void;

/**
 * SPEC 5.6 steps 3–4 and 5.7 (资金拨付), R-PAY-1: after the publicity window, one payment
 * instruction per payee per run summing V of its approved, unobjected claims; then the claims are
 * paid, with the regions' matching obligations and the cross-province statement lines; then the
 * statement is checked against the instructions and the run completed.
 *
 * Each step is one transaction that first advances the run's state by a conditional UPDATE
 * (publicity → disbursing → paid → completed), so a rerun, or a resume after a crash between any
 * two steps, finds the step done and goes on: the unique (run, payee) constraint and the
 * 'disbursing' → 'paid' condition make a second instruction or a second payment impossible.
 * The payment is recorded on the run (ADR 0008): its approved claims read as paid from then on
 * (`settlement.claims_current`), so paying a million claims rewrites none of them.
 */
@Injectable()
export class DisburseUseCase {
  private readonly logger = new Logger('Disbursement');
  /** Called after each committed step; fault tests throw from it to simulate a crash. */
  afterStep: ((step: DisbursementStep) => void | Promise<void>) | null = null;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
    private readonly confirmation: ConfirmPayments,
    private readonly copies: CopyFreshness,
  ) {
    // Fault test of a real crash (kill -9 right after a step commits); refused in production.
    const crashAfter = process.env.SETTLEMENT_CRASH_AFTER_STEP;
    if (crashAfter && process.env.NODE_ENV !== 'production') {
      this.afterStep = (step) => {
        if (step === crashAfter) process.kill(process.pid, 'SIGKILL');
      };
    }
  }

  /**
   * A request to disburse (HTTP, NATS): the run as `execute` leaves it; with an idempotency key, a
   * repeat of the key returns the first reply (the steps are idempotent by the run's state anyway).
   */
  request(principal: Principal, dto: RunIdDto, idempotencyKey?: string): Promise<RunView> {
    return this.uow.idempotentByState(principal, 'run.disburse', idempotencyKey, dto, () => this.execute(principal, dto));
  }

  /** Disburses a run, or resumes it where it stopped; safe to call any number of times. */
  async execute(principal: Principal, dto: RunIdDto, onStep?: StepListener): Promise<RunView> {
    dto = validateDto(RunIdDto, dto);
    const run = await this.uow.run(principal, (work) => operatedRun(work.tx, principal, dto.runId));
    const now = this.clock.now();
    if (run.state === 'review') {
      throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: 'the run is still in review; publish it first' });
    }
    if (run.state === 'publicity' && now < run.publicity_closes_at!) {
      throw new DomainError(ErrorCode.PUBLICITY_OPEN, {
        field: 'runId',
        message: `the publicity window is open until ${run.publicity_closes_at!.toISOString()} (24:00 of ${run.publicity_last_day}, Asia/Shanghai)`,
        details: { closesAt: run.publicity_closes_at!.toISOString() },
      });
    }
    // The matching terms come from settlement's copy of issuance's programmes: no older than its bound.
    if (run.state === 'publicity') this.copies.assertFresh('programmes', 'runId');
    try {
      await this.step(principal, run.id, 'instructions', (work, r) => this.instructions(work, r, now), onStep);
    } catch (err) {
      // The refusal stays on record though the step rolled back: who tried, and which claims differ.
      if (err instanceof DomainError && err.code === ErrorCode.CLAIMS_DISAGREE) {
        await this.uow.run(principal, (work) =>
          work.audit({ action: 'run.confirmation-refused', entityType: 'run', entityId: run.id, reason: err.message, data: err.details }),
        );
      }
      throw err;
    }
    await this.step(principal, run.id, 'paid', (work, r) => this.pay(work, r), onStep);
    await this.step(principal, run.id, 'statement', (work, r) => this.statement(work, r), onStep);
    return this.uow.run(principal, async (work) => runView(work.tx, (await findRun(work.tx, run.id))!));
  }

  private async step(
    principal: Principal,
    runId: string,
    step: DisbursementStep,
    fn: (work: Work, run: RunRow) => Promise<Record<string, unknown> | null>,
    onStep?: StepListener,
  ): Promise<void> {
    const detail = await this.uow.run(principal, async (work) => {
      // One disbursement of a run at a time (CLI and HTTP may both resume it).
      const [{ locked }] = await work.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [advisoryKey(`run:${runId}`)]);
      if (!locked) throw new DomainError(ErrorCode.RUN_LOCKED, { field: 'runId', message: 'the run is being disbursed by another process; retry' });
      const run = (await findRun(work.tx, runId, true))!;
      await useBulkMemory(work.tx);
      return fn(work, run);
    });
    if (detail) {
      this.logger.log(`run ${runId}: ${step} ${JSON.stringify(detail, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
      onStep?.(step, detail);
    }
    if (this.afterStep) await this.afterStep(step);
  }

  /**
   * Step 3a: payment instructions, one per payee, set-wise (GROUP BY payee). Each is written for the
   * payee's current bank account (a snapshot: what the run's pain.001 file names); a payee with no
   * account on file gets its instruction held, not sent. Then the programme's earlier instructions
   * that the bank returned, or that were held, are paid again by this run, once each, where the
   * payee has since given (corrected) details: a reissue instruction beside the run's own.
   */
  private async instructions(work: Work, run: RunRow, now: Date): Promise<Record<string, unknown> | null> {
    const [advanced] = await work.query(
      `UPDATE settlement.runs SET state = 'disbursing', paid_at = $2, paid_on = $3, updated_at = $2 WHERE id = $1 AND state = 'publicity' RETURNING id`,
      [run.id, now, shanghaiDate(now)],
    );
    if (!advanced) return null;
    // Redemption confirms every claim about to be paid (claim, payee, V, approved by this run) first.
    const { confirmed } = await this.confirmation.confirm(work, run);
    // What the matching owed for them needs from issuance is here, or nothing is paid (no default ratio or deadline).
    await this.assertMatchingTerms(work, run);
    const [made] = await work.query<{ n: number; fen: bigint; held: number }>(
      `WITH g AS (
         -- one id per instruction, drawn per group row (an uncorrelated LATERAL subquery may be
         -- evaluated once for all rows, giving every instruction the same id)
         SELECT gen_random_uuid() AS id, payee_type, payee_id,
                CASE WHEN payee_type = 'provider' THEN max(provider_name) ELSE max(enterprise_name) END AS payee_name,
                CASE WHEN payee_type = 'provider' THEN max(provider_credit_code) END AS provider_code,
                count(*) AS n, sum(voucher_fen) AS fen
           FROM settlement.claims WHERE ${inRun('$1::uuid')} AND ${approvedBy(run)}
          GROUP BY payee_type, payee_id),
       ins AS (
         INSERT INTO settlement.instructions (id, run_id, programme_id, payee_type, payee_id, payee_name, claim_count, total_fen, created_at,
                kind, origin_id, payee_credit_code, account_version, holder_name, account_number, bank_name, bank_code, bank_status)
         SELECT g.id, $1, $2, g.payee_type, g.payee_id, g.payee_name, g.n, g.fen, $3, 'run', g.id,
                COALESCE(g.provider_code, (SELECT e.credit_code FROM settlement.enterprises e WHERE e.id = g.payee_id)),
                a.version, a.holder_name, a.account_number, a.bank_name, a.bank_code, CASE WHEN a.version IS NULL THEN 'held' ELSE 'outstanding' END
           FROM g
           LEFT JOIN settlement.bank_accounts_current a ON a.owner_type = g.payee_type AND a.owner_id = g.payee_id::text
         ON CONFLICT (run_id, payee_type, payee_id) WHERE kind = 'run' DO NOTHING
         RETURNING total_fen, bank_status)
       SELECT count(*)::int AS n, COALESCE(sum(total_fen), 0)::bigint AS fen, count(*) FILTER (WHERE bank_status = 'held')::int AS held FROM ins`,
      [run.id, run.programme_id, now],
    );
    await work.query(`UPDATE settlement.runs SET instruction_count = $2, instruction_fen = $3 WHERE id = $1`, [run.id, made.n, made.fen]);
    // R-PAY-1: a returned or held instruction is paid again once (reissue_of is unique), and only to
    // details newer than those the bank returned it from.
    const reissued = await work.query<{ id: string; reissue_of: string; total_fen: bigint }>(
      `INSERT INTO settlement.instructions (id, run_id, programme_id, payee_type, payee_id, payee_name, claim_count, total_fen, created_at, kind, reissue_of,
              origin_id, payee_credit_code, account_version, holder_name, account_number, bank_name, bank_code, bank_status)
       SELECT gen_random_uuid(), $1, o.programme_id, o.payee_type, o.payee_id, o.payee_name, o.claim_count, o.total_fen, $3, 'reissue', o.id,
              o.origin_id, o.payee_credit_code, a.version, a.holder_name, a.account_number, a.bank_name, a.bank_code, 'outstanding'
         FROM settlement.instructions o
         JOIN settlement.bank_accounts_current a ON a.owner_type = o.payee_type AND a.owner_id = o.payee_id::text
        WHERE o.programme_id = $2 AND o.bank_status IN ('held', 'returned') AND o.run_id <> $1
          AND (o.account_version IS NULL OR a.version > o.account_version)
          AND NOT EXISTS (SELECT 1 FROM settlement.instructions r WHERE r.reissue_of = o.id)
       ON CONFLICT (reissue_of) DO NOTHING
       RETURNING id, reissue_of, total_fen`,
      [run.id, run.programme_id, now],
    );
    const reissuedFen = reissued.reduce((sum, r) => sum + r.total_fen, 0n);
    await work.audit({
      action: 'run.instructions-written',
      entityType: 'run',
      entityId: run.id,
      data: {
        instructions: made.n,
        totalFen: made.fen,
        heldForBankDetails: made.held,
        paidOn: shanghaiDate(now),
        reissues: reissued.map((r) => ({ instructionId: r.id, reissueOf: r.reissue_of, totalFen: r.total_fen })),
        confirmedByRedemption: confirmed,
      },
    });
    return { instructions: made.n, totalFen: made.fen, held: made.held, reissues: reissued.length, reissuedFen, confirmedByRedemption: confirmed };
  }

  /**
   * R-MATCH-1 needs, for every claim about to be paid, its enterprise's region (the matching ratio)
   * and its programme version (the matching deadline), both issuance's and copied from its events.
   * One missing means an event has not arrived: refused with COPY_MISSING naming them, before any
   * instruction is written, rather than paid with an assumed ratio or deadline.
   */
  private async assertMatchingTerms(work: Work, run: RunRow): Promise<void> {
    const [missing] = await work.query<{ regions: string[] | null; versions: number[] | null }>(
      `WITH used AS (SELECT DISTINCT region_id, programme_version FROM settlement.claims WHERE ${inRun('$1::uuid')} AND ${approvedBy(run)})
       SELECT (SELECT array_agg(DISTINCT u.region_id::text ORDER BY u.region_id::text) FROM used u
                WHERE NOT EXISTS (SELECT 1 FROM settlement.regions r WHERE r.id = u.region_id)) AS regions,
              (SELECT array_agg(DISTINCT u.programme_version ORDER BY u.programme_version) FROM used u
                WHERE NOT EXISTS (SELECT 1 FROM settlement.programme_versions v WHERE v.programme_id = $2 AND v.version = u.programme_version)) AS versions`,
      [run.id, run.programme_id],
    );
    const regions = missing?.regions ?? [];
    const versions = missing?.versions ?? [];
    if (regions.length === 0 && versions.length === 0) return;
    const what = [
      regions.length ? `${regions.length} region(s) (matching ratio): ${regions.slice(0, 10).join(', ')}${regions.length > 10 ? ', …' : ''}` : '',
      versions.length ? `${run.programme_id} version(s) ${versions.join(', ')} (matching deadline)` : '',
    ].filter(Boolean);
    throw new DomainError(ErrorCode.COPY_MISSING, {
      field: 'runId',
      message: `settlement has not received from issuance ${what.join(' and ')}; disburse again once they have arrived`,
      details: { owner: 'issuance', regions, programmeVersions: versions },
    });
  }

  /** Step 3b + 4: the claims behind the instructions are paid; their regions owe matching (R-MATCH-1); the statement lines are written. */
  private async pay(work: Work, run: RunRow): Promise<Record<string, unknown> | null> {
    const [advanced] = await work.query(`UPDATE settlement.runs SET state = 'paid', updated_at = $2 WHERE id = $1 AND state = 'disbursing' RETURNING id`, [
      run.id,
      this.clock.now(),
    ]);
    if (!advanced) return null;
    const paidAt = run.paid_at!;
    // Due date per programme version's matchingDeadlineMonths, month ends clamped (Nov 30 + 3 → Feb 28/29).
    // The programme's versions are few: each gets its due date here. Every claim's version and region
    // were there when the instructions were written (assertMatchingTerms), and copies only grow.
    const versions = await work.query<{ version: number; months: number }>(
      `SELECT version, matching_deadline_months AS months FROM settlement.programme_versions WHERE programme_id = $1`,
      [run.programme_id],
    );
    const paidOn = run.paid_on!;
    const due = versions.map((v) => addMonthsClamped(paidOn, v.months));
    // The run's state, just made 'paid' above, records the payment of every claim it holds approved,
    // one by one or by its approve-all (ADR 0008): none is rewritten. One read of those claims (a CTE, materialised once) gives their
    // claim-paid events, the regions' matching obligations and the statement lines per provider.
    // No objection or review can change them meanwhile: both need the run's row, locked here.
    const [paid] = await work.query<{ n: number; fen: bigint; owed_n: number; owed_fen: bigint; owed_voucher_fen: bigint; lines_n: number; lines_fen: bigint }>(
      `WITH paid_claims AS MATERIALIZED (
         SELECT claim_id, programme_id, programme_version, region_id, enterprise_id, enterprise_name, provider_id, provider_name,
                provider_credit_code, provider_province, amount_fen, voucher_fen
           FROM settlement.claims WHERE ${inRun('$1::uuid')} AND ${approvedBy(run)}),
       ev AS (${claimEventsInsert('paid_claims', Events.settlementClaimPaid, run, paidAt)}),
       d AS (SELECT * FROM unnest($3::int[], $4::date[]) AS d(version, due_on)),
       ratio AS (SELECT id, matching_ratio, ${ratioMicro('matching_ratio')} AS ratio_micro FROM settlement.regions),
       -- Each claim's matching share is floored on its own (R-MATCH-1), so the claims are first
       -- summed by plain columns, version included: the planner can hash those groups, where with
       -- the due date's expression in the key it expected one group per claim and, for 10 M claims,
       -- sorted them on disk (155 s → 96 s for the statement). The few versions then merge into
       -- their due dates.
       by_version AS (
         SELECT c.programme_id, c.region_id, c.enterprise_id, c.programme_version, max(c.enterprise_name) AS enterprise_name,
                count(*) AS claim_count, sum(c.voucher_fen) AS voucher_fen,
                sum(${matchingShare('c.voucher_fen', 'r.ratio_micro')}) AS amount_fen
           FROM paid_claims c
           JOIN ratio r ON r.id = c.region_id
          GROUP BY c.programme_id, c.region_id, c.enterprise_id, c.programme_version),
       owed AS (
         INSERT INTO settlement.matching_obligations (run_id, programme_id, region_id, enterprise_id, enterprise_name, claim_count, voucher_fen,
                matching_ratio, amount_fen, provincial_paid_on, due_on)
         SELECT $1, v.programme_id, v.region_id, v.enterprise_id, max(v.enterprise_name), sum(v.claim_count), sum(v.voucher_fen),
                r.matching_ratio, sum(v.amount_fen), $2, d.due_on
           FROM by_version v
           JOIN d ON d.version = v.programme_version
           JOIN ratio r ON r.id = v.region_id
          GROUP BY v.programme_id, v.region_id, v.enterprise_id, r.matching_ratio, d.due_on
         ON CONFLICT (run_id, enterprise_id, region_id, due_on) DO NOTHING
         RETURNING amount_fen, voucher_fen),
       lines AS (${statementLinesInsert('paid_claims', run)})
       SELECT * FROM (SELECT count(*)::int AS n, COALESCE(sum(voucher_fen), 0)::bigint AS fen FROM paid_claims) p,
                     (SELECT count(*)::int AS owed_n, COALESCE(sum(amount_fen), 0)::bigint AS owed_fen,
                             COALESCE(sum(voucher_fen), 0)::bigint AS owed_voucher_fen FROM owed) o,
                     (SELECT count(*)::int AS lines_n, COALESCE(sum(total_fen), 0)::bigint AS lines_fen FROM lines) l`,
      [run.id, paidOn, versions.map((v) => v.version), due],
    );
    // What was paid is exactly what the instructions say, or nothing of this step is kept.
    const [instructed] = await work.query<{ n: bigint; fen: bigint }>(
      `SELECT COALESCE(sum(claim_count), 0)::bigint AS n, COALESCE(sum(total_fen), 0)::bigint AS fen FROM settlement.instructions WHERE run_id = $1 AND kind = 'run'`,
      [run.id],
    );
    // And every paid claim owes its region's matching (R-MATCH-1): none dropped for want of its terms.
    if (BigInt(paid.n) !== instructed.n || paid.fen !== instructed.fen || paid.lines_fen !== paid.fen || paid.owed_voucher_fen !== paid.fen) {
      throw new Error(
        `run ${run.id}: paid ${paid.n} claims / ${paid.fen} fen (statement ${paid.lines_fen} fen, matching on ${paid.owed_voucher_fen} fen) but instructed ${instructed.n} / ${instructed.fen}`,
      );
    }
    await tallyRun(work.tx, run.id, moved('approved', 'paid', paid.n, paid.fen), this.clock.now());
    const owed = { n: paid.owed_n, fen: paid.owed_fen };
    await work.audit({ action: 'run.paid', entityType: 'run', entityId: run.id, data: { claims: paid.n, paidFen: paid.fen, matchingObligations: owed.n, matchingFen: owed.fen, statementLines: paid.lines_n } });
    const payload: SettlementRunEvent = {
      runId: run.id,
      programmeId: run.programme_id,
      quarter: run.quarter,
      state: 'paid',
      claimCount: paid.n,
      totalFen: paid.fen.toString(),
      instructionCount: run.instruction_count,
    };
    await work.emit({ subject: Events.settlementRunDisbursed, aggregateType: 'run', aggregateId: run.id, payload });
    return { claims: paid.n, paidFen: paid.fen, matchingObligations: owed.n, matchingFen: owed.fen, statementLines: paid.lines_n };
  }

  /**
   * Step 5.7: the statement lines per provider were written with the payment (same transaction);
   * their total must equal the instructions to the fen (R-CLEAR-1), then the run is completed.
   * A run paid by an earlier version of this step, which left the lines to this one, gets them
   * written here from its paid claims.
   */
  private async statement(work: Work, run: RunRow): Promise<Record<string, unknown> | null> {
    const [advanced] = await work.query(`UPDATE settlement.runs SET state = 'completed', updated_at = $2 WHERE id = $1 AND state = 'paid' RETURNING id`, [
      run.id,
      this.clock.now(),
    ]);
    if (!advanced) return null;
    const total = `SELECT count(*)::int AS n, COALESCE(sum(total_fen), 0)::bigint AS fen`;
    let [lines] = await work.query<{ n: number; fen: bigint }>(`${total} FROM settlement.statement_lines WHERE run_id = $1`, [run.id]);
    if (lines.n === 0) {
      [lines] = await work.query<{ n: number; fen: bigint }>(
        `WITH lines AS (${statementLinesInsert(`(SELECT * FROM settlement.claims_current WHERE ${inRun('$1::uuid')} AND state = 'paid')`, run)}) ${total} FROM lines`,
        [run.id],
      );
    }
    if (lines.fen !== run.instruction_fen) {
      throw new Error(`run ${run.id}: statement ${lines.fen} fen differs from instructions ${run.instruction_fen} fen`);
    }
    await work.audit({ action: 'run.completed', entityType: 'run', entityId: run.id, data: { statementLines: lines.n, totalFen: lines.fen } });
    return { statementLines: lines.n, totalFen: lines.fen };
  }
}
