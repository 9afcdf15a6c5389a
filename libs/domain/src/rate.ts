import { Fen, minFen } from './money';

/** An exact rational rate; never a float (R-MONEY-1). */
export interface Ratio {
  num: bigint;
  den: bigint;
}

/** 2500 bp → 25 %. */
export function ratioFromBasisPoints(bp: number | bigint): Ratio {
  if (typeof bp === 'number' && !Number.isSafeInteger(bp)) throw new RangeError(`basis points must be an integer: ${bp}`);
  const b = BigInt(bp);
  if (b < 0n) throw new RangeError(`a rate may not be negative: ${bp}`);
  return { num: b, den: 10000n };
}

/** "1.00" → 100/100, "0.5" → 5/10, exactly; the scale is kept so it prints back as written. */
export function parseDecimalRatio(s: string): Ratio {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(s);
  if (!m) throw new RangeError(`not a non-negative decimal: ${JSON.stringify(s)}`);
  const decimals = m[2] ?? '';
  return { num: BigInt(m[1] + decimals), den: 10n ** BigInt(decimals.length) };
}

/** Truncates to `scale` decimals (floor, as every rounding in R-MONEY-1). */
export function ratioToDecimalString(r: Ratio, scale = 2): string {
  if (!Number.isInteger(scale) || scale < 0) throw new RangeError(`scale must be a non-negative integer: ${scale}`);
  const scaled = (r.num * 10n ** BigInt(scale)) / r.den;
  if (scale === 0) return scaled.toString();
  const s = scaled.toString().padStart(scale + 1, '0');
  return `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

/** R-MONEY-1: floor(amount × rate), toward zero (bigint division truncates). */
export function applyRateFloor(amount: Fen, r: Ratio): Fen {
  if (r.den <= 0n) throw new RangeError('a ratio needs a positive denominator');
  return (amount * r.num) / r.den;
}

export type VoucherLimit = 'rate' | 'quota' | 'budget';

/**
 * R-OFFSET-1: V = min(floor(A × offsetRate), quota left, budget left); the enterprise pays A − V.
 * `limitedBy` names the bound that decided V, so a V of 0 can be refused with its reason: an
 * exhausted quota, then an exhausted budget, is named before an amount too small to yield a fen.
 * A positive V equal to the full rate share is 'rate' even if a bound happens to be equal.
 */
export function voucherAmount(params: { amount: Fen; offsetRateBp: number; quotaLeft: Fen; budgetLeft: Fen }): {
  voucher: Fen;
  enterprisePays: Fen;
  limitedBy: VoucherLimit;
} {
  const { amount } = params;
  if (amount < 0n) throw new RangeError(`a service amount may not be negative: ${amount}`);
  const byRate = applyRateFloor(amount, ratioFromBasisPoints(params.offsetRateBp));
  const quota = params.quotaLeft < 0n ? 0n : params.quotaLeft;
  const budget = params.budgetLeft < 0n ? 0n : params.budgetLeft;
  const voucher = minFen(byRate, quota, budget);
  const limitedBy: VoucherLimit =
    voucher === byRate && voucher > 0n ? 'rate' : voucher === quota ? 'quota' : voucher === budget ? 'budget' : 'rate';
  return { voucher, enterprisePays: amount - voucher, limitedBy };
}
