import { DatabaseError } from 'pg-protocol';
import { QueryFailedError } from 'typeorm';
import { retryOnConflict, sqlStateOf } from './transaction-retry';

const pgError = (code: string) => Object.assign(new DatabaseError('x', 0, 'error'), { code });

describe('a transaction that lost to a concurrent one runs again, a bounded number of times', () => {
  it('reads the SQLSTATE as node-postgres raises it and as TypeORM wraps it; a socket code is none', () => {
    expect(sqlStateOf(pgError('40P01'))).toBe('40P01');
    expect(sqlStateOf(new QueryFailedError('SELECT 1', [], pgError('40001')))).toBe('40001');
    expect(sqlStateOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(sqlStateOf(undefined)).toBeUndefined();
  });

  it.each([
    ['a deadlock (40P01)', '40P01', 5],
    ['a serialisation failure (40001)', '40001', 5],
    ['a unique violation (23505): once more, then it is real', '23505', 2],
  ])('%s', async (_what, code, attempts) => {
    let calls = 0;
    const retried: number[] = [];
    await expect(
      retryOnConflict(
        async () => {
          calls++;
          throw pgError(code);
        },
        { onRetry: (state, attempt) => retried.push(attempt) && expect(state).toBe(code) },
      ),
    ).rejects.toMatchObject({ code });
    expect(calls).toBe(attempts);
    expect(retried).toEqual(Array.from({ length: attempts - 1 }, (_v, i) => i + 1));

    let n = 0;
    await expect(retryOnConflict(async () => (++n < attempts ? Promise.reject(pgError(code)) : 'done'))).resolves.toBe('done');
  });

  it('anything else is not run again: a refusal, a bug, another SQL error', async () => {
    for (const err of [new Error('refused'), new TypeError('bug'), pgError('23503'), pgError('42P01')]) {
      let calls = 0;
      await expect(
        retryOnConflict(async () => {
          calls++;
          throw err;
        }),
      ).rejects.toBe(err);
      expect(calls).toBe(1);
    }
  });
});
