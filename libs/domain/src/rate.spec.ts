import fc from 'fast-check';
import { yuanToFen } from './money';
import { applyRateFloor, parseDecimalRatio, ratioFromBasisPoints, ratioToDecimalString, voucherAmount } from './rate';

const plenty = 10n ** 12n;

describe('exact rates', () => {
  it('R-MONEY-1: basis points and decimal strings become exact ratios', () => {
    expect(ratioFromBasisPoints(2500)).toEqual({ num: 2500n, den: 10000n });
    expect(ratioFromBasisPoints(500n)).toEqual({ num: 500n, den: 10000n });
    expect(parseDecimalRatio('1.00')).toEqual({ num: 100n, den: 100n });
    expect(parseDecimalRatio('0.5')).toEqual({ num: 5n, den: 10n });
    expect(parseDecimalRatio('2')).toEqual({ num: 2n, den: 1n });
  });

  it('R-MONEY-1: refuses negative, fractional-bp and malformed rates', () => {
    expect(() => ratioFromBasisPoints(-1)).toThrow(RangeError);
    expect(() => ratioFromBasisPoints(2500.5)).toThrow(RangeError);
    for (const bad of ['-1', '-0.5', '1.', '.5', '1e2', '0,5', ' 1', '', 'NaN']) expect(() => parseDecimalRatio(bad)).toThrow(RangeError);
  });

  it('prints a ratio back as a decimal, truncated to the scale', () => {
    expect(ratioToDecimalString(parseDecimalRatio('1.00'))).toBe('1.00');
    expect(ratioToDecimalString(parseDecimalRatio('0.5'))).toBe('0.50');
    expect(ratioToDecimalString({ num: 2n, den: 3n }, 4)).toBe('0.6666');
    expect(ratioToDecimalString({ num: 5n, den: 100n }, 1)).toBe('0.0');
    expect(ratioToDecimalString({ num: 3n, den: 2n }, 0)).toBe('1');
    expect(() => ratioToDecimalString({ num: 1n, den: 1n }, -1)).toThrow(RangeError);
  });

  it('R-MONEY-1: applyRateFloor floors toward zero', () => {
    expect(applyRateFloor(1234567n, ratioFromBasisPoints(2500))).toBe(308641n);
    expect(applyRateFloor(3n, ratioFromBasisPoints(2500))).toBe(0n);
    expect(applyRateFloor(-7n, { num: 1n, den: 2n })).toBe(-3n);
    expect(applyRateFloor(123n, parseDecimalRatio('1.00'))).toBe(123n);
    expect(() => applyRateFloor(1n, { num: 1n, den: 0n })).toThrow(RangeError);
  });
});

describe('voucher offset at payment', () => {
  it('R-OFFSET-1: floors 25 % of 12,345.67 yuan to 308,641 fen; the enterprise pays 925,926 fen', () => {
    const amount = yuanToFen('12345.67');
    expect(amount).toBe(1234567n);
    expect(voucherAmount({ amount, offsetRateBp: 2500, quotaLeft: 10_000_000n, budgetLeft: plenty })).toEqual({
      voucher: 308641n,
      enterprisePays: 925926n,
      limitedBy: 'rate',
    });
  });

  it('R-OFFSET-1: V is bounded by the quota left, then by the budget left, and says which', () => {
    expect(voucherAmount({ amount: 1_000_000n, offsetRateBp: 2500, quotaLeft: 1000n, budgetLeft: 5000n })).toEqual({
      voucher: 1000n,
      enterprisePays: 999_000n,
      limitedBy: 'quota',
    });
    expect(voucherAmount({ amount: 1_000_000n, offsetRateBp: 2500, quotaLeft: 9000n, budgetLeft: 4000n })).toEqual({
      voucher: 4000n,
      enterprisePays: 996_000n,
      limitedBy: 'budget',
    });
  });

  it('R-OFFSET-1: a zero voucher names the exhausted quota or budget as its reason', () => {
    expect(voucherAmount({ amount: 1_000_000n, offsetRateBp: 2500, quotaLeft: 0n, budgetLeft: 0n })).toMatchObject({ voucher: 0n, limitedBy: 'quota' });
    expect(voucherAmount({ amount: 1_000_000n, offsetRateBp: 2500, quotaLeft: 9000n, budgetLeft: 0n })).toMatchObject({ voucher: 0n, limitedBy: 'budget' });
    expect(voucherAmount({ amount: 3n, offsetRateBp: 2500, quotaLeft: 9000n, budgetLeft: 9000n })).toEqual({ voucher: 0n, enterprisePays: 3n, limitedBy: 'rate' });
  });

  it('R-OFFSET-1: a negative balance counts as nothing left, and a negative amount is refused', () => {
    expect(voucherAmount({ amount: 100n, offsetRateBp: 2500, quotaLeft: -5n, budgetLeft: plenty })).toEqual({ voucher: 0n, enterprisePays: 100n, limitedBy: 'quota' });
    expect(() => voucherAmount({ amount: -100n, offsetRateBp: 2500, quotaLeft: plenty, budgetLeft: plenty })).toThrow(RangeError);
  });

  it('R-OFFSET-1: property — V is the minimum of the three, never negative, and V + enterprise part = A', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: plenty }),
        fc.integer({ min: 0, max: 10000 }),
        fc.bigInt({ min: 0n, max: plenty }),
        fc.bigInt({ min: 0n, max: plenty }),
        (amount, offsetRateBp, quotaLeft, budgetLeft) => {
          const r = voucherAmount({ amount, offsetRateBp, quotaLeft, budgetLeft });
          const byRate = (amount * BigInt(offsetRateBp)) / 10000n;
          expect(r.voucher).toBe([byRate, quotaLeft, budgetLeft].reduce((a, b) => (b < a ? b : a)));
          expect(r.voucher + r.enterprisePays).toBe(amount);
          expect(r.voucher >= 0n && r.voucher <= quotaLeft && r.voucher <= budgetLeft).toBe(true);
          expect(r.voucher).toBe({ rate: byRate, quota: quotaLeft, budget: budgetLeft }[r.limitedBy]);
        },
      ),
    );
  });
});
