import { formatYuan, isValidAmount, MAX_FEN, parseFen, yuanToFen } from './money';
import { voucherAmount } from './rate';

describe('money in integer fen', () => {
  it('R-OFFSET-1: floors 25 % of 12,345.67 yuan to 308,641 fen; the enterprise pays 925,926', () => {
    const A = yuanToFen('12345.67');
    expect(A).toBe(1234567n);
    const r = voucherAmount({ amount: A, offsetRateBp: 2500, quotaLeft: 10_000_000n, budgetLeft: 10n ** 12n });
    expect(r).toEqual({ voucher: 308641n, enterprisePays: 925926n, limitedBy: 'rate' });
  });

  it('R-OFFSET-1: V is bounded by the quota left, then by the budget left, and says which', () => {
    expect(voucherAmount({ amount: 1000000n, offsetRateBp: 2500, quotaLeft: 1000n, budgetLeft: 5000n })).toEqual({ voucher: 1000n, enterprisePays: 999000n, limitedBy: 'quota' });
    expect(voucherAmount({ amount: 1000000n, offsetRateBp: 2500, quotaLeft: 9000n, budgetLeft: 0n })).toMatchObject({ voucher: 0n, limitedBy: 'budget' });
  });

  it('R-MONEY-1: reads fen only as integers; fractions, floats and exponents are refused', () => {
    expect(parseFen(12345)).toBe(12345n);
    expect(parseFen('12345')).toBe(12345n);
    for (const bad of [1.5, '1.5', '1e5', '+5', ' 5', '-5', NaN, null, undefined, {}, '05', 2 ** 60]) expect(parseFen(bad)).toBeNull();
  });

  it('R-MONEY-1: amounts are positive and at most 10^12 fen', () => {
    expect(isValidAmount(1n)).toBe(true);
    expect(isValidAmount(MAX_FEN)).toBe(true);
    expect(isValidAmount(0n)).toBe(false);
    expect(isValidAmount(MAX_FEN + 1n)).toBe(false);
  });

  it('formats yuan for people and parses it exactly', () => {
    expect(formatYuan(1234567n)).toBe('12,345.67');
    expect(formatYuan(5n)).toBe('0.05');
    expect(formatYuan(-10000000n)).toBe('-100,000.00');
    expect(yuanToFen('100000')).toBe(10000000n);
    expect(() => yuanToFen('1.234')).toThrow(RangeError);
  });
});
