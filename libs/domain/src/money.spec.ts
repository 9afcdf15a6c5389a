import fc from 'fast-check';
import { fenToJson, formatYuan, isValidAmount, MAX_FEN, minFen, parseFen, yuanToFen } from './money';

describe('money in integer fen', () => {
  it('R-MONEY-1: reads fen from a safe integer, a digit string or a bigint', () => {
    expect(parseFen(12345)).toBe(12345n);
    expect(parseFen('12345')).toBe(12345n);
    expect(parseFen('1000000000000000000000')).toBe(10n ** 21n);
    expect(parseFen(7n)).toBe(7n);
    expect(parseFen(0)).toBe(0n);
  });

  it('R-MONEY-1: refuses fractions, floats, exponents, signs, whitespace and non-numbers', () => {
    const bad: unknown[] = [1.5, 0.1, '1.5', '1.0', '1e5', 1e300, '+5', '-5', ' 5', '5 ', '', '0x10', 'abc', NaN, Infinity, null, undefined, {}, [], true, 2 ** 60];
    for (const value of bad) expect([value, parseFen(value)]).toEqual([value, null]);
  });

  it('R-MONEY-1: parseFen does not range-check; isValidAmount does', () => {
    expect(parseFen(-5)).toBe(-5n);
    expect(isValidAmount(-5n)).toBe(false);
  });

  it('R-MONEY-1: amounts are positive and at most 10^12 fen', () => {
    expect(MAX_FEN).toBe(1_000_000_000_000n);
    expect(isValidAmount(1n)).toBe(true);
    expect(isValidAmount(MAX_FEN)).toBe(true);
    expect(isValidAmount(0n)).toBe(false);
    expect(isValidAmount(MAX_FEN + 1n)).toBe(false);
  });

  it('R-MONEY-1: yuan strings convert to fen exactly, with at most two decimals', () => {
    expect(yuanToFen('12345.67')).toBe(1234567n);
    expect(yuanToFen('100000')).toBe(10000000n);
    expect(yuanToFen('0.1')).toBe(10n);
    expect(yuanToFen('0.05')).toBe(5n);
    expect(yuanToFen('-3.5')).toBe(-350n);
    // 0.29 * 100 is 28.999999999999996 in binary floating point
    expect(yuanToFen('0.29')).toBe(29n);
    for (const bad of ['1.234', '1.', '.5', '01', '1,000', '1e3', '+1', ' 1', '']) expect(() => yuanToFen(bad)).toThrow(RangeError);
  });

  it('formats yuan with thousands separators', () => {
    expect(formatYuan(1234567n)).toBe('12,345.67');
    expect(formatYuan(0n)).toBe('0.00');
    expect(formatYuan(5n)).toBe('0.05');
    expect(formatYuan(100000000n)).toBe('1,000,000.00');
    expect(formatYuan(-10000000n)).toBe('-100,000.00');
    expect(formatYuan(-5n)).toBe('-0.05');
  });

  it('R-MONEY-1: formatYuan and yuanToFen round-trip every amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -MAX_FEN, max: MAX_FEN }), (f) => {
        expect(yuanToFen(formatYuan(f).replace(/,/g, ''))).toBe(f);
      }),
    );
  });

  it('fenToJson writes a decimal string that parseFen reads back', () => {
    expect(fenToJson(2n ** 64n)).toBe('18446744073709551616');
    expect(parseFen(fenToJson(MAX_FEN))).toBe(MAX_FEN);
  });

  it('minFen picks the smallest', () => {
    expect(minFen(5n, 3n, 9n)).toBe(3n);
    expect(minFen(4n)).toBe(4n);
  });
});
