/** Money is integer fen (分) everywhere (R-MONEY-1): bigint, never a float. */
export type Fen = bigint;

export const MAX_FEN: Fen = 10n ** 12n;

/**
 * Reads an amount of fen from JSON: a safe integer number, a decimal-digit string or a bigint.
 * Fractions, exponents, signs, whitespace and anything else give null.
 */
export function parseFen(value: unknown): Fen | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string' && /^(0|[1-9][0-9]{0,30})$/.test(value)) return BigInt(value);
  return null;
}

/** R-MONEY-1: amounts are positive and at most 10^12 fen. */
export function isValidAmount(f: Fen): boolean {
  return f > 0n && f <= MAX_FEN;
}

export function fenToJson(f: Fen): string {
  return f.toString();
}

/** 1234567n → "12,345.67" */
export function formatYuan(f: Fen): string {
  const negative = f < 0n;
  const abs = negative ? -f : f;
  const yuan = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fen = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${yuan}.${fen}`;
}

/** "12345.67" → 1234567n, exactly (string arithmetic). */
export function yuanToFen(yuan: string): Fen {
  const m = /^(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$/.exec(yuan);
  if (!m) throw new RangeError(`not an amount of yuan with at most two decimals: ${yuan}`);
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0') || '0');
}

export function minFen(...values: Fen[]): Fen {
  return values.reduce((a, b) => (b < a ? b : a));
}
