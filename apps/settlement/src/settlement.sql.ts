import { Principal, Role, RunState, RunView, SETTLEMENT_CLAIMS_PER_EVENT, SETTLEMENT_DETAILED_DECISIONS } from '@vc/contracts';
import { Tx } from '@vc/database';
import { CalendarYearMissingError } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { currentCorrelationId } from '@vc/logging';
import { advisoryKey, queryRows } from '@vc/database';
import { runPayments } from './bank/payments.sql';

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

/** A programme operator acts for its own province only (SPEC 2); auditors never change anything. */
export function assertOperatorOf(principal: Principal, province: string): void {
  if (principal.role !== Role.ProgrammeOperator) {
    throw new DomainError(ErrorCode.FORBIDDEN, { message: `role ${principal.role} may not do this` });
  }
  if (principal.province !== province || principal.org !== province) {
    throw new DomainError(ErrorCode.FORBIDDEN, { field: 'programmeId', message: `an operator of ${principal.org} acts only for its own province's programme` });
  }
}

/** Who may read a run: its province's operator, the delta desk, auditors. Others do not learn it exists. */
export function canReadProvince(principal: Principal, province: string): boolean {
  if (principal.role === Role.DeltaOperator || principal.role === Role.Auditor) return true;
  return principal.role === Role.ProgrammeOperator && principal.province === province && principal.org === province;
}

export function provinceOfProgramme(programmeId: string): string {
  return programmeId.slice(0, 2);
}

export async function findRun(tx: Tx, runId: string, lock = false): Promise<RunRow | undefined> {
  const rows = await queryRows<RunRow>(tx, `SELECT ${RUN_COLUMNS} FROM settlement.runs WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [runId]);
  return rows[0];
}

/** A run the principal may read, else NOT_FOUND (object-level check, OWASP API1). */
export async function readableRun(tx: Tx, principal: Principal, runId: string, lock = false): Promise<RunRow> {
  const run = await findRun(tx, runId, lock);
  if (!run || !canReadProvince(principal, run.province)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'runId', message: 'no such settlement run' });
  return run;
}

/** A run the principal operates: its own province's operator only. */
export async function operatedRun(tx: Tx, principal: Principal, runId: string, lock = false): Promise<RunRow> {
  const run = await findRun(tx, runId, lock);
  if (!run || (principal.role === Role.ProgrammeOperator && principal.province !== run.province)) {
    throw new DomainError(ErrorCode.NOT_FOUND, { field: 'runId', message: 'no such settlement run' });
  }
  assertOperatorOf(principal, run.province);
  return run;
}

/**
 * The claims a run holds, for a WHERE clause: `runParam` is the SQL parameter (or literal) of the
 * run's id. They are found through the index on (programme_id, run_quarter) — a run is (programme,
 * quarter), and its collection files every claim it takes under its quarter — so that run_id is in
 * no index and a run's updates of its claims stay HOT (migration 1764000000404).
 */
export function inRun(runParam: string, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}programme_id = (SELECT r.programme_id FROM settlement.runs r WHERE r.id = ${runParam})
    AND ${a}run_quarter = (SELECT r.quarter FROM settlement.runs r WHERE r.id = ${runParam}) AND ${a}run_id = ${runParam}`;
}

/**
 * The claims a run holds approved, for a WHERE clause beside `inRun` while the run is not yet paid:
 * those approved one by one, and, once its approve-all ran, those it approved without writing them
 * (ADR 0008): still in review, neither sampled nor flagged. `settlement.claims_current` says the same
 * for a single claim; this form reads the table, so the planner estimates it from the state's
 * statistics.
 */
export function approvedBy(run: Pick<RunRow, 'approved_at'>, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return run.approved_at ? `(${a}state = 'approved' OR ${approvedByApproveAll(alias)})` : `${a}state = 'approved'`;
}

/**
 * The claims of a run its approve-all approves without writing them (ADR 0008): still in review,
 * neither sampled nor flagged. The approve-all reads them once; approvedBy and currentState add
 * them once it ran.
 */
export function approvedByApproveAll(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `(${a}state = 'in_review' AND NOT ${a}sampled AND NOT ${a}flagged)`;
}

/**
 * The state of a claim of `run` as it now stands, as a SQL expression over its row: what
 * `settlement.claims_current` says (ADR 0008), written for a run whose state and approve-all the
 * caller holds, so that a statement over a run's claims needs no join to the runs.
 */
export function currentState(run: Pick<RunRow, 'state' | 'approved_at'>, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  const paid = run.state === 'paid' || run.state === 'completed';
  return `CASE WHEN ${approvedBy(run, alias)} THEN '${paid ? 'paid' : 'approved'}' ELSE ${a}state END`;
}

/** A claim locked for a change of its own, with its stored state and its state as it now stands. */
export interface LockedClaim {
  stored_state: string;
  state: string;
  decided_at: Date | null;
}

/**
 * Locks a claim that an event changes outside any run step (the projection's amendments and
 * flags), in the order the run's steps lock: the programme's collection lock (shared, so no run
 * collects the claim meanwhile), the claim's run (shared, so its approve-all, review and payment
 * are not under way), then the claim. Then its state as it now stands (`claims_current`) cannot
 * change under the caller, even where the run decided it without writing it (ADR 0008).
 * Undefined when the claim is not known.
 */
export async function lockClaim(tx: Tx, claimId: string): Promise<LockedClaim | undefined> {
  const [seen] = await queryRows<{ programme_id: string }>(tx, `SELECT programme_id FROM settlement.claims WHERE claim_id = $1`, [claimId]);
  if (!seen) return undefined;
  await tx.query(...collectionLock(seen.programme_id, 'shared'));
  // Only a review's return clears run_id meanwhile (under the run's lock, which this then waits for).
  const [{ run_id }] = await queryRows<{ run_id: string | null }>(tx, `SELECT run_id FROM settlement.claims WHERE claim_id = $1`, [claimId]);
  if (run_id) await tx.query(`SELECT 1 FROM settlement.runs WHERE id = $1 FOR SHARE`, [run_id]);
  const [claim] = await queryRows<LockedClaim>(
    tx,
    `SELECT c.state AS stored_state, v.state, v.decided_at
       FROM settlement.claims c JOIN settlement.claims_current v USING (claim_id)
      WHERE c.claim_id = $1 FOR UPDATE OF c`,
    [claimId],
  );
  return claim;
}

/** The advisory locks of collection, in the two-key form: a space of their own, apart from one-key locks. */
export const COLLECTION_LOCK_SPACE = 0x5e7c;

/**
 * The advisory lock between a run's collection (exclusive) and the projection filing new claims
 * of the programme (shared), as [sql, params]: a claim is either seen by the collection or sees
 * the run. Held to the end of the transaction.
 */
export function collectionLock(programmeId: string, mode: 'shared' | 'exclusive'): [string, unknown[]] {
  return xactLock(COLLECTION_LOCK_SPACE, advisoryKey(programmeId), mode);
}

/** A transaction-level advisory lock in the two-key form (a lock space, a key in it), as [sql, params]. */
export function xactLock(space: number, key: number, mode: 'shared' | 'exclusive' = 'exclusive'): [string, unknown[]] {
  return [`SELECT pg_advisory_xact_lock${mode === 'shared' ? '_shared' : ''}($1::int, $2::int)`, [space, key]];
}

/** The advisory locks of single claims, in the two-key form: a space of their own. */
export const CLAIM_LOCK_SPACE = 0x5e7d;

/**
 * The advisory lock of one claim, as [sql, params], taken first by every projection handler that
 * learns of the claim (its submission, a flag on it) and held to the end of the transaction. A
 * flag and the submission it refers to then apply one after the other: without it, a submission
 * could read "no flag" while the flag's handler found no claim yet, and both commit with the claim
 * unflagged for good (R-CLAIM-2). Taken before the collection lock and before any row lock, so it
 * orders against nothing a run step takes.
 */
export function claimLock(claimId: string): [string, unknown[]] {
  return xactLock(CLAIM_LOCK_SPACE, advisoryKey(claimId));
}

/** The claims a run sent back to wait for the next one (returned for amendment, deferred by a dismissed objection). */
export function sentBackBy(runParam: string, alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}last_run_id = ${runParam} AND ${a}run_id IS NULL`;
}

/**
 * The counters a run keeps of its own claims (migrations 1764000000406, 1764000000407): each state
 * a claim may have while the run holds it, with V for the states past review (an in-review claim
 * may still be amended).
 */
const TALLY_COLUMNS = [
  'in_review_count',
  'sampled_in_review_count',
  'approved_count',
  'approved_fen',
  'held_count',
  'held_fen',
  'rejected_count',
  'rejected_fen',
  'paid_count',
  'paid_fen',
] as const;

export type RunTally = Partial<Pick<RunRow, (typeof TALLY_COLUMNS)[number]>>;

/**
 * Claims moved from one state to another in a run: `moved(from, to, n, fen)` as a tally of deltas.
 * A state the run does not count (a claim returned or deferred leaves the run) is null.
 */
export function moved(from: 'in_review' | 'approved' | 'held' | null, to: 'approved' | 'held' | 'rejected' | 'paid' | null, n: number, fen: bigint): RunTally {
  const tally: Record<string, number | bigint> = {};
  if (from === 'in_review') tally.in_review_count = -n;
  else if (from) Object.assign(tally, { [`${from}_count`]: -n, [`${from}_fen`]: -fen });
  if (to) Object.assign(tally, { [`${to}_count`]: n, [`${to}_fen`]: fen });
  return tally as RunTally;
}

/** Adds tallies (the deltas of several moves in one step). */
export function plus(...tallies: RunTally[]): RunTally {
  const sum: Record<string, number | bigint> = {};
  for (const t of tallies) {
    for (const [k, v] of Object.entries(t)) {
      const prev = sum[k];
      sum[k] = typeof v === 'bigint' ? ((prev as bigint | undefined) ?? 0n) + v : ((prev as number | undefined) ?? 0) + (v as number);
    }
  }
  return sum as RunTally;
}

/**
 * Moves the run's counters by `tally`, in the transaction of the statement that moved the claims
 * (the caller holds the run's row lock), and returns the run as it now is. A counter going below
 * zero violates its CHECK and the whole step is undone.
 */
export async function tallyRun(tx: Tx, runId: string, tally: RunTally, now: Date): Promise<RunRow> {
  const sets: string[] = [];
  const params: unknown[] = [runId, now];
  for (const column of TALLY_COLUMNS) {
    const delta = tally[column];
    if (delta === undefined || delta === 0 || delta === 0n) continue;
    params.push(delta.toString());
    sets.push(`${column} = ${column} + $${params.length}::${column.endsWith('_fen') ? 'bigint' : 'int'}`);
  }
  const rows = await queryRows<RunRow>(tx, `UPDATE settlement.runs SET ${[...sets, 'updated_at = $2'].join(', ')} WHERE id = $1 RETURNING ${RUN_COLUMNS}`, params);
  return rows[0];
}

/** The states past review whose claims a run counts with their V. */
const COUNTED_STATES = ['approved', 'held', 'rejected', 'paid'] as const;

/**
 * A run's claims counted afresh, column by column as its counters keep them, by their state as it
 * now stands (`currentState`). `where` picks the claims (`inRun`, or run_id alone to count a claim
 * filed under the wrong quarter too); one pass.
 */
export async function countRunClaims(tx: Tx, run: Pick<RunRow, 'state' | 'approved_at'>, where: string, params: unknown[]): Promise<Required<RunTally>> {
  const rows = await queryRows<Required<RunTally>>(
    tx,
    `SELECT count(*) FILTER (WHERE state = 'in_review')::int AS in_review_count,
            count(*) FILTER (WHERE state = 'in_review' AND sampled)::int AS sampled_in_review_count,
            ${COUNTED_STATES.map((s) => `count(*) FILTER (WHERE state = '${s}')::int AS ${s}_count, COALESCE(sum(voucher_fen) FILTER (WHERE state = '${s}'), 0)::bigint AS ${s}_fen`).join(', ')}
       FROM (SELECT ${currentState(run)} AS state, sampled, voucher_fen FROM settlement.claims WHERE ${where}) c`,
    params,
  );
  return rows[0];
}

/** The run's counters that differ from a fresh count of its claims, in the counters' order. */
export function tallyDifferences(run: RunRow, fresh: Required<RunTally>): Array<{ column: keyof RunTally; was: string; now: string }> {
  return TALLY_COLUMNS.filter((c) => String(run[c]) !== String(fresh[c])).map((column) => ({ column, was: String(run[column]), now: String(fresh[column]) }));
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

/**
 * A run's set-wise statements sort and group up to millions of claims (chunked events, per-payee
 * and per-provider totals); with PostgreSQL's default work_mem they spill to disk as external
 * merges. They may also run for minutes (10 million claims), past the statement timeout meant for
 * requests (DB_STATEMENT_TIMEOUT_MS). The settings last for this transaction only.
 */
export async function useBulkMemory(tx: Tx): Promise<void> {
  await tx.query(`SET LOCAL work_mem = '256MB'`);
  await tx.query(`SET LOCAL statement_timeout = 0`);
}

/**
 * After a step moved a whole run's claims (collection; approval and payment no longer move them,
 * ADR 0008), the planner's statistics still say
 * none are in that state, and the statements that follow would sort millions of rows it expects
 * to be one. ANALYZE of the two columns a run changes samples a fixed number of rows (3,000 at
 * their statistics target, migration 1764000000405) and, inside the transaction, sees its own
 * changes.
 */
export async function refreshClaimStatistics(tx: Tx): Promise<void> {
  await tx.query(`ANALYZE settlement.claims (run_id, state)`);
}

/** SQL string literal (for constants and validated ids only). */
export function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Outbox rows for a set of claims in one statement (set-wise: a run may hold millions of claims):
 * one event per chunk of SETTLEMENT_CLAIMS_PER_EVENT claims, so a million claims make a thousand
 * events. `source` is a CTE of the run's claims yielding claim_id and, for the decisions that name
 * them (SETTLEMENT_DETAILED_DECISIONS: rejected, returned), order_id, voucher_fen and
 * decision_reason; the envelope is the one `addToOutbox` writes (EventEnvelope with a
 * SettlementClaimsEvent payload), its aggregate the run.
 */
export function claimEventsInsert(source: string, subject: string, run: { id: string; programme_id: string }, occurredAt: Date): string {
  const correlation = currentCorrelationId();
  // Rejected and returned name each claim's order, V and reason; approved and paid the claims alone.
  const detailed = SETTLEMENT_DETAILED_DECISIONS.includes(subject);
  const columns = detailed ? 's.claim_id, s.order_id, s.voucher_fen, s.decision_reason' : 's.claim_id';
  const arrays = detailed
    ? `, to_jsonb(array_agg(c.order_id)) AS order_ids, to_jsonb(array_agg(c.voucher_fen::text)) AS voucher_fen, to_jsonb(array_agg(c.decision_reason)) AS reasons`
    : '';
  const payloadArrays = detailed ? `, 'orderIds', e.order_ids, 'voucherFen', e.voucher_fen, 'reasons', e.reasons` : '';
  // The chunks are numbered in one pass and grouped by their number alone (a run's claims are all of
  // its programme), so the planner hashes the groups instead of sorting a million rows by chunk.
  // The events are not sorted either: each names its own claims and is applied on its own, and
  // sorting 10,000 chunks of 1,000 ids (10 M claims) took 400 MB of disk. The arrays go straight
  // to jsonb: no JSON text is built and parsed again, which for a million claims is seconds.
  return `INSERT INTO settlement.outbox (event_id, subject, aggregate_type, aggregate_id, envelope)
    SELECT e.eid, ${lit(subject)}, 'run', ${lit(run.id)},
           jsonb_build_object('id', e.eid, 'type', ${lit(subject)}, 'aggregateType', 'run', 'aggregateId', ${lit(run.id)},
             'occurredAt', ${lit(occurredAt.toISOString())},
             'payload', jsonb_build_object('runId', ${lit(run.id)}, 'programmeId', ${lit(run.programme_id)}, 'claimIds', e.claim_ids${payloadArrays}))
           ${correlation ? `|| jsonb_build_object('correlationId', ${lit(correlation)})` : ''}
      FROM (SELECT gen_random_uuid() AS eid, to_jsonb(array_agg(c.claim_id)) AS claim_ids${arrays}
              FROM (SELECT ${columns}, (row_number() OVER () - 1) / ${SETTLEMENT_CLAIMS_PER_EVENT} AS chunk FROM ${source} s) c
             GROUP BY c.chunk) e`;
}

/**
 * The cross-province statement lines of a run, one per provider (R-CLEAR-1), inserted from
 * `source`: the run's paid claims (a CTE of the claims being paid, or a subquery over
 * settlement.claims_current). Lines already written are kept (unique per run and provider). Yields the
 * inserted lines' total_fen.
 */
export function statementLinesInsert(source: string, run: Pick<RunRow, 'id' | 'programme_id' | 'province' | 'quarter'>): string {
  return `INSERT INTO settlement.statement_lines (run_id, programme_id, issuing_province, quarter, provider_province, provider_id, provider_name,
           provider_credit_code, claim_count, total_fen, amount_fen)
    SELECT ${lit(run.id)}::uuid, ${lit(run.programme_id)}, ${lit(run.province)}, ${lit(run.quarter)}, max(s.provider_province), s.provider_id,
           max(s.provider_name), max(s.provider_credit_code), count(*), sum(s.voucher_fen), sum(s.amount_fen)
      FROM ${source} s
     GROUP BY s.provider_id
    ON CONFLICT (run_id, provider_id) DO NOTHING
    RETURNING total_fen`;
}

/**
 * R-MATCH-1, floor(V × ratio) per claim, in bigint arithmetic: a region's ratio has at most 6
 * decimals (numeric(12,6) here, numeric(8,4) in issuance) and is positive, so with
 * `ratioMicro(ratio)` = ratio × 10⁶ exactly, V × ratioMicro ÷ 10⁶ truncated is that floor, with no
 * numeric arithmetic per claim (a run may hold millions). Bigint holds it: V ≤ 10⁷ fen (the annual
 * cap) and ratio < 10⁴.
 */
export function ratioMicro(ratio: string): string {
  return `(${ratio} * 1000000)::bigint`;
}

export function matchingShare(voucherFen: string, ratioMicroValue: string): string {
  return `${voucherFen} * ${ratioMicroValue} / 1000000`;
}

/** The calendar has no loaded year the window needs: refuse, never guess (SPEC 3). */
export function calendarError(err: unknown): never {
  if (err instanceof CalendarYearMissingError) {
    throw new DomainError(ErrorCode.CALENDAR_YEAR_MISSING, { message: err.message, details: { year: err.year } });
  }
  throw err;
}

export const CLAIM_VIEW_COLUMNS = `claim_id AS "claimId", order_id AS "orderId", programme_id AS "programmeId", enterprise_id AS "enterpriseId",
  enterprise_name AS "enterpriseName", region_id AS "regionId", provider_id AS "providerId", provider_name AS "providerName",
  provider_credit_code AS "providerCreditCode", provider_province AS "providerProvince", payee_type AS "payeeType", payee_id AS "payeeId",
  amount_fen AS "amountFen", voucher_fen AS "voucherFen", invoice_number AS "invoiceNumber", submitted_at AS "submittedAt", state,
  sampled, flagged, decision_reason AS "decisionReason", paid_at AS "paidAt"`;
