/**
 * Unified social credit code (统一社会信用代码, GB 32100-2015), R-ID-1. Layout:
 * 1 registration authority, 2 organisation type, 3–8 administrative division (digits),
 * 9–17 organisation code (GB 11714), 18 check character (weighted sum mod 31).
 * The alphabet has 31 characters: I, O, Z, S and V are left out to avoid misreading.
 */
export const CREDIT_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export type CreditCodeCheck = { ok: true } | { ok: false; reason: string };

function badCharacter(code: string): string | null {
  for (let i = 0; i < code.length; i++) {
    if (!CREDIT_CODE_ALPHABET.includes(code[i])) return `character ${i + 1} ('${code[i]}') is not allowed in a credit code`;
  }
  return null;
}

/** The 18th character for the first 17; throws RangeError if they cannot start a code. */
export function computeCheckChar(first17: string): string {
  if (first17.length !== 17) throw new RangeError(`a credit code check needs 17 characters, got ${first17.length}`);
  const bad = badCharacter(first17);
  if (bad) throw new RangeError(bad);
  const sum = WEIGHTS.reduce((s, w, i) => s + w * CREDIT_CODE_ALPHABET.indexOf(first17[i]), 0);
  return CREDIT_CODE_ALPHABET[(31 - (sum % 31)) % 31];
}

export function validateCreditCode(code: string): CreditCodeCheck {
  if (typeof code !== 'string' || code.length !== 18) return { ok: false, reason: 'a credit code has exactly 18 characters' };
  const bad = badCharacter(code);
  if (bad) return { ok: false, reason: bad };
  if (!/^[0-9]{6}$/.test(code.slice(2, 8))) return { ok: false, reason: 'characters 3–8 must be an administrative division code (6 digits)' };
  if (computeCheckChar(code.slice(0, 17)) !== code[17]) return { ok: false, reason: 'the check character (18th) does not verify' };
  return { ok: true };
}

export function isValidCreditCode(code: string): boolean {
  return validateCreditCode(code).ok;
}

/** Seed data and tests: the first 17 characters plus their check character. */
export function makeCreditCode(first17: string): string {
  return first17 + computeCheckChar(first17);
}
