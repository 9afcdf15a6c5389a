import fc from 'fast-check';
import { createTestDatabase, sql, TestDatabase } from '@vc/testing';
import { matchingShare, ratioMicro } from '../../../apps/settlement/src/sql/matching';

/**
 * R-MATCH-1: a region owes floor(V × ratio) per paid claim. Disbursement computes it in bigint
 * (`matchingShare`, `ratioMicro`), not in numeric. For any voucher amount and any ratio a region can
 * have (numeric(12,6) in settlement, > 0, below 10⁴), PostgreSQL's own numeric floor agrees.
 */
describe('settlement: the bigint matching floor equals floor(V × ratio) in numeric (fast-check; real PostgreSQL)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('R-MATCH-1: matchingShare(V, ratioMicro(ratio)) = floor(V × ratio) for every V ≤ the annual cap and ratio in numeric(12,6) below 10⁴', async () => {
    const voucher = fc.bigInt({ min: 1n, max: 10_000_000n });
    // settlement keeps a region's ratio as numeric(12,6) (issuance's numeric(8,4) is a subset): up to 6 decimals, below 10⁴
    const ratio = fc.integer({ min: 1, max: 9_999_999_999 }).map((n) => `${Math.floor(n / 1_000_000)}.${String(n % 1_000_000).padStart(6, '0')}`);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(voucher, ratio), { minLength: 1, maxLength: 500 }), async (pairs) => {
        const rows = await sql(
          db.url,
          `SELECT v::text, r::text, (${matchingShare('v', ratioMicro('r'))})::text AS fast, floor(v * r)::bigint::text AS exact
             FROM unnest($1::bigint[], $2::numeric(12,6)[]) AS t(v, r)`,
          [pairs.map(([v]) => v.toString()), pairs.map(([, r]) => r)],
        );
        expect(rows.filter((row) => row.fast !== row.exact)).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
