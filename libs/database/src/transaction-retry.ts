import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The SQLSTATE of an error as node-postgres raises it, or as TypeORM wraps it (QueryFailedError
 * keeps the driver's error as `driverError`).
 */
export function sqlStateOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  if (e && typeof e === 'object') {
    if (typeof e.driverError?.code === 'string') return e.driverError.code;
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/**
 * How often a transaction that lost to a concurrent one is run again, by SQLSTATE (attempts in
 * all). A serialisation failure (40001) or a deadlock (40P01) says nothing about the request: the
 * same transaction run again, after the winner committed, usually succeeds. A unique violation
 * (23505) in a transaction that checked first and then inserted means a concurrent request
 * inserted the same key between the check and the insert: run once more, the check sees the
 * winner and answers as the rules say (ALREADY_EXISTS, the stored reply, ...); a second unique
 * violation is a real one.
 */
export const CONFLICT_ATTEMPTS: Readonly<Record<string, number>> = { '40001': 5, '40P01': 5, '23505': 2 };

export interface ConflictRetryOptions {
  /** the SQLSTATEs retried and the attempts each allows (default CONFLICT_ATTEMPTS) */
  attempts?: Readonly<Record<string, number>>;
  /** called before each new attempt (a log line, a metric) */
  onRetry?: (sqlState: string, attempt: number) => void;
}

/**
 * Runs `transaction` (a whole transaction: everything it did is rolled back when it throws) and
 * runs it again when it failed only because a concurrent transaction won (CONFLICT_ATTEMPTS), after
 * a short random pause that lets the winner finish. Whatever else it throws, and the last conflict
 * once the attempts are spent, goes to the caller. Only for work whose every effect is inside the
 * transaction (or is itself idempotent): it may run more than once.
 */
export async function retryOnConflict<R>(transaction: () => Promise<R>, options: ConflictRetryOptions = {}): Promise<R> {
  const allowed = options.attempts ?? CONFLICT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (err) {
      const state = sqlStateOf(err);
      if (state === undefined || !(state in allowed) || attempt >= allowed[state]) throw err;
      options.onRetry?.(state, attempt);
      await sleep(Math.floor(Math.random() * 20 * attempt) + 1);
    }
  }
}
