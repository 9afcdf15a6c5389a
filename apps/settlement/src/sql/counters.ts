import { queryRows, Tx } from '@vc/database';
import { currentState } from './claim-state';
import { RUN_COLUMNS, RunRow } from './runs';

/** A run's counters of its claims by state (migrations 1764000000406, 1764000000407): moved with the claims, recounted on demand. */

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
