import { advisoryKey } from '@vc/database';

/** Transaction-level advisory locks of settlement: a programme's collection, a claim. */

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
