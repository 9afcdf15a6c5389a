import { Events } from '@vc/contracts';
import { queryRows, Tx } from '@vc/database';
import { moved, tallyRun } from '../../sql/counters';
import { RunRow } from '../../sql/runs';
import { claimEventsInsert } from '../../sql/statements';

/** The columns of an objection as its view (ObjectionView). */
export const objectionColumns = (p = '') => `${p}id, ${p}run_id AS "runId", ${p}claim_id AS "claimId", ${p}objector_name AS "objectorName",
  ${p}objector_contact AS "objectorContact", ${p}reason, ${p}status, ${p}decision_reason AS "decisionReason", ${p}filed_at AS "filedAt",
  ${p}decided_at AS "decidedAt"`;

/**
 * An upheld objection rejects the claim it holds (V goes back to the budget through redemption's
 * claim-rejected), and the run's counters move with it. Returns whether the claim was held here.
 */
export async function rejectHeldClaim(tx: Tx, run: Pick<RunRow, 'id' | 'programme_id'>, claimId: string, reason: string, now: Date): Promise<boolean> {
  const [rejected] = await queryRows<{ voucher_fen: bigint }>(tx, 
    `WITH changed AS (
       UPDATE settlement.claims SET state = 'rejected', decision_reason = $3, decided_at = $4
        WHERE claim_id = $1 AND run_id = $2 AND state = 'held'
        RETURNING claim_id, order_id, voucher_fen, decision_reason),
     ev AS (${claimEventsInsert('changed', Events.settlementClaimRejected, run, now)})
     SELECT voucher_fen FROM changed`,
    [claimId, run.id, `objection upheld: ${reason}`, now],
  );
  if (rejected) await tallyRun(tx, run.id, moved('held', 'rejected', 1, BigInt(rejected.voucher_fen)), now);
  return Boolean(rejected);
}

/**
 * Once no objection of a claim is open, a dismissal sends it to the next run (SPEC 5.6 step 2): it
 * leaves the run, whose counters move with it. Returns whether it left.
 */
export async function deferHeldClaim(tx: Tx, run: Pick<RunRow, 'id'>, claimId: string, reason: string, now: Date): Promise<boolean> {
  const [deferred] = await queryRows<{ voucher_fen: bigint }>(tx, 
    `UPDATE settlement.claims SET state = 'deferred', decision_reason = $3, decided_at = $4, last_run_id = run_id, run_id = NULL, run_quarter = NULL
      WHERE claim_id = $1 AND run_id = $2 AND state = 'held'
        AND NOT EXISTS (SELECT 1 FROM settlement.objections WHERE claim_id = $1 AND run_id = $2 AND status = 'open')
      RETURNING voucher_fen`,
    [claimId, run.id, `objection dismissed: ${reason}; settled in the next run`, now],
  );
  if (deferred) await tallyRun(tx, run.id, moved('held', null, 1, BigInt(deferred.voucher_fen)), now);
  return Boolean(deferred);
}
