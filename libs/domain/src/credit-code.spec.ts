import { computeCheckChar, isValidCreditCode, makeCreditCode, validateCreditCode } from './credit-code';

describe('unified social credit code (GB 32100-2015)', () => {
  it('R-ID-1: accepts published codes whose check character verifies', () => {
    expect(isValidCreditCode('91350100M000100Y43')).toBe(true);
    expect(isValidCreditCode('91110000802100433B')).toBe(true);
  });

  it('R-ID-1: rejects a code with one character changed, naming why', () => {
    expect(validateCreditCode('91350100M000100Y44')).toEqual({ ok: false, reason: 'the check character does not verify' });
    expect(validateCreditCode('91350100M000100Y4')).toMatchObject({ ok: false });
    expect(validateCreditCode('91350100M000100I43')).toMatchObject({ ok: false });
    expect(validateCreditCode('9135AB00M000100Y43')).toMatchObject({ ok: false });
  });

  it('R-ID-1: a made code verifies, and every other check character is refused', () => {
    const code = makeCreditCode('91320100MA1XY0123');
    expect(isValidCreditCode(code)).toBe(true);
    const others = '0123456789ABCDEFGHJKLMNPQRTUWXY'.split('').filter((c) => c !== computeCheckChar(code.slice(0, 17)));
    for (const c of others) expect(isValidCreditCode(code.slice(0, 17) + c)).toBe(false);
  });
});
