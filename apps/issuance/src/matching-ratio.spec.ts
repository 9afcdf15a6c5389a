import { canonicalMatchingRatio, isPositiveRatio } from './matching-ratio';

describe('canonicalMatchingRatio (SPEC 3: exact decimal, default 1.00)', () => {
  it.each([
    ['1', '1.00'],
    ['1.00', '1.00'],
    ['1.0000', '1.00'],
    ['0.5', '0.50'],
    ['1.2500', '1.25'],
    ['1.2345', '1.2345'],
    ['1.2340', '1.234'],
    ['12.0', '12.00'],
    ['0', '0.00'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalMatchingRatio(input)).toBe(expected);
  });

  it('refuses more than four decimals instead of rounding them away', () => {
    expect(() => canonicalMatchingRatio('1.00001')).toThrow(RangeError);
  });

  it('refuses what is not a non-negative decimal (no floats, signs or exponents)', () => {
    for (const bad of ['-1', '1e2', '1.', '.5', 'abc', '']) expect(() => canonicalMatchingRatio(bad)).toThrow(RangeError);
  });

  it('a zero ratio is not a commitment to match', () => {
    expect(isPositiveRatio('0.00')).toBe(false);
    expect(isPositiveRatio('0.0001')).toBe(true);
  });
});
