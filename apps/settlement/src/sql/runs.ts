import { RunState, RunView } from '@vc/contracts';
import { queryRows, Tx } from '@vc/database';
import { runPayments } from '../bank/payments.sql';

/** A run as stored and as its readers see it (RunView): its row, its columns, its view. */

export interface RunRow {
  id: string;
  programme_id: string;
  province: string;
  quarter: string;
  quarter_end: Date;
  state: RunState;
  seed: string;
  sample_rate_bp: number;
  collected_count: number;
  collected_fen: bigint;
  published_on: string | null;
  publicity_first_day: string | null;
  publicity_last_day: string | null;
  publicity_closes_at: Date | null;
  publicity_working_days: number | null;
  /** the calendar versions the window was counted on (migration 1764000000411) */
  publicity_calendar: Array<{ year: number; version: number }> | null;
  paid_at: Date | null;
  paid_on: string | null;
  /** When the run's approve-all ran: its claims then in review, neither sampled nor flagged, are approved by it (ADR 0008). */
  approved_at: Date | null;
  instruction_count: number;
  instruction_fen: bigint;
  /** The run's own claims by state (migrations 1764000000406 and 1764000000407), moved by the steps that move the claims. */
  in_review_count: number;
  sampled_in_review_count: number;
  approved_count: number;
  approved_fen: bigint;
  held_count: number;
  held_fen: bigint;
  rejected_count: number;
  rejected_fen: bigint;
  paid_count: number;
  paid_fen: bigint;
  created_at: Date;
  updated_at: Date;
}

export const RUN_COLUMNS = `id, programme_id, province, quarter, quarter_end, state, seed, sample_rate_bp, collected_count, collected_fen,
  to_char(published_on, 'YYYY-MM-DD') AS published_on, to_char(publicity_first_day, 'YYYY-MM-DD') AS publicity_first_day,
  to_char(publicity_last_day, 'YYYY-MM-DD') AS publicity_last_day, publicity_closes_at, publicity_working_days, publicity_calendar,
  paid_at, to_char(paid_on, 'YYYY-MM-DD') AS paid_on, approved_at, instruction_count, instruction_fen, in_review_count, sampled_in_review_count,
  approved_count, approved_fen, held_count, held_fen, rejected_count, rejected_fen, paid_count, paid_fen, created_at, updated_at`;

export async function findRun(tx: Tx, runId: string, lock = false): Promise<RunRow | undefined> {
  const rows = await queryRows<RunRow>(tx, `SELECT ${RUN_COLUMNS} FROM settlement.runs WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [runId]);
  return rows[0];
}

/** The claims on a run's publicity list (approved, held by an objection, or paid since), from its counters. */
export function listedOf(run: RunRow): { n: number; fen: bigint } {
  return { n: run.approved_count + run.held_count + run.paid_count, fen: run.approved_fen + run.held_fen + run.paid_fen };
}

/** The run's own claims by state, from its counters. */
export function ownCounts(run: RunRow): Array<{ state: string; n: number }> {
  return [
    { state: 'in_review', n: run.in_review_count },
    { state: 'approved', n: run.approved_count },
    { state: 'held', n: run.held_count },
    { state: 'rejected', n: run.rejected_count },
    { state: 'paid', n: run.paid_count },
  ].filter((c) => c.n > 0);
}

export async function runView(tx: Tx, run: RunRow): Promise<RunView> {
  // The run's own claims from its counters, then those it sent back (through the index on last_run_id).
  const sentBack = await queryRows<{ state: string; n: number }>(
    tx,
    `SELECT state, count(*)::int AS n FROM settlement.claims WHERE ${sentBackBy('$1::uuid')} GROUP BY state`,
    [run.id],
  );
  const counts = [...ownCounts(run), ...sentBack];
  return {
    id: run.id,
    programmeId: run.programme_id,
    province: run.province,
    quarter: run.quarter,
    state: run.state,
    seed: run.seed,
    sampleRateBp: run.sample_rate_bp,
    collectedCount: run.collected_count,
    collectedFen: run.collected_fen,
    counts: Object.fromEntries(counts.map((c) => [c.state, c.n])),
    publication: run.published_on
      ? {
          publishedOn: run.published_on,
          firstDay: run.publicity_first_day!,
          lastDay: run.publicity_last_day!,
          closesAt: run.publicity_closes_at!.toISOString(),
          workingDays: run.publicity_working_days!,
          calendar: run.publicity_calendar ?? [],
        }
      : null,
    instructionCount: run.instruction_count,
    instructionFen: run.instruction_fen,
    payments: run.state === 'review' || run.state === 'publicity' ? null : await runPayments(tx, run.id),
    createdAt: run.created_at.toISOString(),
    updatedAt: run.updated_at.toISOString(),
  };
}

export const CLAIM_VIEW_COLUMNS = `claim_id AS "claimId", order_id AS "orderId", programme_id AS "programmeId", enterprise_id AS "enterpriseId",
  enterprise_name AS "enterpriseName", region_id AS "regionId", provider_id AS "providerId", provider_name AS "providerName",
  provider_credit_code AS "providerCreditCode", provider_province AS "providerProvince", payee_type AS "payeeType", payee_id AS "payeeId",
  amount_fen AS "amountFen", voucher_fen AS "voucherFen", invoice_number AS "invoiceNumber", submitted_at AS "submittedAt", state,
  sampled, flagged, decision_reason AS "decisionReason", paid_at AS "paidAt"`;

/** The claims a run sent back to wait for the next one (returned for amendment, deferred by a dismissed objection). */
export function sentBackBy(runParam: string, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}last_run_id = ${runParam} AND ${a}run_id IS NULL`;
}
