/**
 * Unified social credit code (统一社会信用代码, GB 32100-2015), R-ID-1: 18 characters over a
 * 31-character alphabet (no I, O, Z, S, V); the 18th is a check character, weighted mod 31.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function computeCheckChar(first17: string): string {
  if (first17.length !== 17) throw new RangeError('the first 17 characters are needed');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = ALPHABET.indexOf(first17[i]);
    if (v < 0) throw new RangeError(`character ${first17[i]} is not allowed in a credit code`);
    sum += v * WEIGHTS[i];
  }
  const check = 31 - (sum % 31);
  return ALPHABET[check === 31 ? 0 : check];
}

export function validateCreditCode(code: string): { ok: true } | { ok: false; reason: string } {
  if (typeof code !== 'string' || code.length !== 18) return { ok: false, reason: 'a credit code has 18 characters' };
  for (const ch of code) {
    if (!ALPHABET.includes(ch)) return { ok: false, reason: `character ${ch} is not allowed in a credit code` };
  }
  if (!/^[0-9]{6}$/.test(code.slice(2, 8))) return { ok: false, reason: 'characters 3–8 must be an administrative division code' };
  if (computeCheckChar(code.slice(0, 17)) !== code[17]) return { ok: false, reason: 'the check character does not verify' };
  return { ok: true };
}

export function isValidCreditCode(code: string): boolean {
  return validateCreditCode(code).ok;
}

export function makeCreditCode(first17: string): string {
  return first17 + computeCheckChar(first17);
}
