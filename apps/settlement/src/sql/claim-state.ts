import { queryRows, Tx } from '@vc/database';
import { collectionLock } from './locks';
import { RunRow } from './runs';

/** The claims of a run and their state as it now stands (ADR 0008), as SQL fragments over the claims table. */

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
