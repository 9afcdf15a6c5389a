import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { toJson, toWire } from '@vc/contracts';
import { DomainError, ERROR_TABLE, ErrorBody, ErrorCode } from '@vc/errors';
import { Tx } from './data-source';

export function requestHash(body: unknown): string {
  return createHash('sha256').update(toJson(body ?? null)).digest('hex');
}

/**
 * R-ERR-1: a request that changes something names its Idempotency-Key: present, at most 200
 * characters, and no control characters (PostgreSQL text cannot hold a NUL; a key is an opaque
 * token, never text with line breaks). Checked before anything is written.
 */
export function assertIdempotencyKey(key: string | undefined): asserts key is string {
  if (!key) {
    throw new DomainError(ErrorCode.IDEMPOTENCY_KEY_REQUIRED, { field: 'Idempotency-Key', message: 'an Idempotency-Key is required for this request' });
  }
  if (key.length > 200) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'Idempotency-Key', message: 'Idempotency-Key is longer than 200 characters' });
  }
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'Idempotency-Key', message: 'Idempotency-Key may not contain control characters' });
  }
}

/**
 * The stored first reply of (scope, key), or undefined when the key is new; the key with another
 * body is refused (IDEMPOTENCY_CONFLICT). For effects made of several transactions (a resumable
 * run), which check the key before they start and store the reply once they are done.
 */
export async function priorReply(tx: Tx, schema: string, scope: string, key: string, body: unknown): Promise<{ reply: unknown } | undefined> {
  assertIdempotencyKey(key);
  const [prior] = await tx.query(`SELECT request_hash, reply, refusal FROM "${schema}".idempotency WHERE scope = $1 AND key = $2`, [scope, key]);
  if (!prior) return undefined;
  return { reply: answered(prior, requestHash(body)) };
}

/** A stored answer: its reply, or its refusal thrown again; another body under the key is refused. */
function answered(prior: { request_hash: string; reply: unknown; refusal: ErrorBody | null }, hash: string): unknown {
  if (prior.request_hash !== hash) {
    throw new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, { field: 'Idempotency-Key', message: 'this Idempotency-Key was used with a different request' });
  }
  if (prior.refusal) throw DomainError.fromBody(prior.refusal);
  return prior.reply;
}

/** Whether a refusal is the request's answer, to be stored under its key (ERROR_TABLE `final`). */
export function isFinalRefusal(err: unknown): err is DomainError {
  return err instanceof DomainError && ERROR_TABLE[err.code].final;
}

/**
 * Runs a mutation exactly once per (scope, key): the key row is inserted in the same transaction
 * as the effect, so a concurrent duplicate blocks on the unique index until the first commits and
 * then reads its answer. Same key + other body → IDEMPOTENCY_CONFLICT.
 *
 * R-OFFSET-2: the answer may be a refusal. A final refusal (ERROR_TABLE) rolls the effect back to a
 * savepoint and is stored under the key instead of a reply; retries get the same refusal, though the
 * state may have changed since. A request that failed without an answer — the database out of
 * reach, a copy too stale to decide with, an unexpected error — leaves no row, so a retry runs again.
 * The reply returned is always the stored JSON form, identical for the first call and retries.
 */

export async function runIdempotent<R>(
  ds: DataSource,
  schema: string,
  scope: string,
  key: string | undefined,
  body: unknown,
  effect: (tx: Tx) => Promise<R>,
): Promise<unknown> {
  assertIdempotencyKey(key);
  const hash = requestHash(body);
  const outcome = await ds.transaction(async (tx) => {
    const inserted: unknown[] = await tx.query(
      `INSERT INTO "${schema}".idempotency (scope, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [scope, key, hash],
    );
    if (inserted.length === 0) {
      const [prior] = await tx.query(`SELECT request_hash, reply, refusal FROM "${schema}".idempotency WHERE scope = $1 AND key = $2`, [scope, key]);
      return { reply: answered(prior, hash) };
    }
    await tx.query('SAVEPOINT idempotent_effect');
    try {
      const reply = toWire(await effect(tx));
      await tx.query(`UPDATE "${schema}".idempotency SET reply = $3 WHERE scope = $1 AND key = $2`, [scope, key, JSON.stringify(reply)]);
      return { reply };
    } catch (err) {
      if (!isFinalRefusal(err)) throw err;
      // The effect is undone; its refusal is kept as the key's answer, committed with the key.
      await tx.query('ROLLBACK TO SAVEPOINT idempotent_effect');
      await tx.query(`UPDATE "${schema}".idempotency SET refusal = $3 WHERE scope = $1 AND key = $2`, [scope, key, JSON.stringify(toWire(err.toBody()))]);
      return { refused: err };
    }
  });
  if ('refused' in outcome) throw outcome.refused;
  return outcome.reply;
}
