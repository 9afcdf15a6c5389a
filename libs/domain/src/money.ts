/** Money is integer fen (分) everywhere (R-MONEY-1): bigint, never a float. */
export type Fen = bigint;

export const MAX_FEN: Fen = 10n ** 12n;

/**
 * Reads fen from untrusted input: a safe-integer number, a string of decimal digits, or a bigint.
 * Anything that could hide a fraction or a float conversion (1.5, "1.5", "1e5", "+5", " 5", NaN)
 * gives null. No range check: that is `isValidAmount`'s job, so callers can name the error.
 */
export function parseFen(value: unknown): Fen | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string' && /^[0-9]+$/.test(value)) return BigInt(value);
  return null;
}

/** R-MONEY-1: amounts are positive and at most 10^12 fen. */
export function isValidAmount(f: Fen): boolean {
  return f > 0n && f <= MAX_FEN;
}

/** JSON has no bigint; a decimal string keeps every fen above 2^53. */
export function fenToJson(f: Fen): string {
  return f.toString();
}

/** 1234567n → "12,345.67" */
export function formatYuan(f: Fen): string {
  const abs = f < 0n ? -f : f;
  const yuan = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fen = (abs % 100n).toString().padStart(2, '0');
  return `${f < 0n ? '-' : ''}${yuan}.${fen}`;
}

/** 1234567n → "12345.67": a decimal amount of yuan as payment messages carry it (no separators). */
export function fenToDecimal(f: Fen): string {
  const abs = f < 0n ? -f : f;
  return `${f < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** "12345.67" → 1234567n by string arithmetic, so no binary-float rounding can creep in. */
export function yuanToFen(yuan: string): Fen {
  const m = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$/.exec(yuan);
  if (!m) throw new RangeError(`not an amount of yuan with at most two decimals: ${JSON.stringify(yuan)}`);
  const fen = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

export function minFen(first: Fen, ...rest: Fen[]): Fen {
  return rest.reduce((a, b) => (b < a ? b : a), first);
}
