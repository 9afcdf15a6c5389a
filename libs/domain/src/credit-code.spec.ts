import { computeCheckChar, CREDIT_CODE_ALPHABET, isValidCreditCode, makeCreditCode, validateCreditCode } from './credit-code';

const PUBLISHED = ['91350100M000100Y43', '91110000802100433B'];

describe('unified social credit code (GB 32100-2015)', () => {
  it('R-ID-1: accepts published codes whose check character verifies', () => {
    for (const code of PUBLISHED) expect([code, validateCreditCode(code)]).toEqual([code, { ok: true }]);
    expect(computeCheckChar('91350100M000100Y4')).toBe('3');
    expect(computeCheckChar('91110000802100433')).toBe('B');
  });

  it('R-ID-1: rejects every one-character change of a valid code', () => {
    for (const code of PUBLISHED) {
      for (let i = 0; i < 18; i++) {
        for (const c of CREDIT_CODE_ALPHABET) {
          if (c === code[i]) continue;
          const changed = code.slice(0, i) + c + code.slice(i + 1);
          expect([changed, isValidCreditCode(changed)]).toEqual([changed, false]);
        }
      }
    }
  });

  it('R-ID-1: a wrong check character is refused with a reason naming it', () => {
    expect(validateCreditCode('91350100M000100Y44')).toEqual({ ok: false, reason: 'the check character (18th) does not verify' });
  });

  it('R-ID-1: refuses the wrong length, lower case, excluded letters and a non-numeric division', () => {
    expect(validateCreditCode('91350100M000100Y4')).toEqual({ ok: false, reason: 'a credit code has exactly 18 characters' });
    expect(validateCreditCode('91350100M000100Y433')).toMatchObject({ ok: false });
    expect(validateCreditCode('')).toMatchObject({ ok: false });
    expect(validateCreditCode('91350100m000100Y43')).toEqual({ ok: false, reason: "character 9 ('m') is not allowed in a credit code" });
    for (const letter of ['I', 'O', 'Z', 'S', 'V']) expect(validateCreditCode(`91350100M000100${letter}43`)).toMatchObject({ ok: false });
    const lettersInDivision = makeCreditCode('9135AB00M000100Y4');
    expect(validateCreditCode(lettersInDivision)).toEqual({ ok: false, reason: 'characters 3–8 must be an administrative division code (6 digits)' });
    expect(isValidCreditCode(12345 as unknown as string)).toBe(false);
  });

  it('R-ID-1: a made code verifies, and each of the other 30 check characters is refused', () => {
    for (const first17 of ['91320100MA1XY0123', '12310000425006117', '52330100MJ8765432', 'Y1340100000000001']) {
      const code = makeCreditCode(first17);
      expect(isValidCreditCode(code)).toBe(true);
      const others = [...CREDIT_CODE_ALPHABET].filter((c) => c !== code[17]);
      expect(others).toHaveLength(30);
      for (const c of others) expect(isValidCreditCode(first17 + c)).toBe(false);
    }
  });

  it("R-ID-1: a weighted sum that is a multiple of 31 gives check character '0'", () => {
    expect(computeCheckChar('00000000000000000')).toBe('0');
    expect(isValidCreditCode('000000000000000000')).toBe(true);
  });

  it('computeCheckChar refuses input that cannot start a code', () => {
    expect(() => computeCheckChar('9135010')).toThrow(RangeError);
    expect(() => computeCheckChar('91350100M000100I4')).toThrow(/character 16/);
  });
});
