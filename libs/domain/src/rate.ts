import { Fen, minFen } from './money';

/** An exact rational rate; never a float (R-MONEY-1). */
export interface Ratio {
  num: bigint;
  den: bigint;
}

export function ratioFromBasisPoints(bp: number | bigint): Ratio {
  const b = BigInt(bp);
  if (b < 0n) throw new RangeError('a rate may not be negative');
  return { num: b, den: 10000n };
}

/** "1.00" → 100/100, "0.5" → 5/10, exactly. */
export function parseDecimalRatio(s: string): Ratio {
  const m = /^([0-9]+)(?:\.([0-9]{1,6}))?$/.exec(s);
  if (!m) throw new RangeError(`not a non-negative decimal: ${s}`);
  const decimals = m[2] ?? '';
  return { num: BigInt(m[1] + decimals), den: 10n ** BigInt(decimals.length) };
}

export function ratioToDecimalString(r: Ratio, scale = 2): string {
  const scaled = (r.num * 10n ** BigInt(scale)) / r.den;
  if (scale === 0) return scaled.toString();
  const s = scaled.toString().padStart(scale + 1, '0');
  return `${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

/** floor(amount × rate) toward zero. */
export function applyRateFloor(amount: Fen, r: Ratio): Fen {
  return (amount * r.num) / r.den;
}

export type VoucherLimit = 'rate' | 'quota' | 'budget';

/**
 * R-OFFSET-1: V = min(floor(A × offsetRate), quota left, budget left); the enterprise pays A − V.
 * `limitedBy` says which bound decided V (when V is 0, the reason for refusing the voucher).
 */
export function voucherAmount(params: { amount: Fen; offsetRateBp: number; quotaLeft: Fen; budgetLeft: Fen }): {
  voucher: Fen;
  enterprisePays: Fen;
  limitedBy: VoucherLimit;
} {
  const byRate = applyRateFloor(params.amount, ratioFromBasisPoints(params.offsetRateBp));
  const quota = params.quotaLeft < 0n ? 0n : params.quotaLeft;
  const budget = params.budgetLeft < 0n ? 0n : params.budgetLeft;
  const voucher = minFen(byRate, quota, budget);
  const limitedBy: VoucherLimit = voucher === byRate && byRate <= quota && byRate <= budget ? 'rate' : voucher === quota ? 'quota' : 'budget';
  return { voucher, enterprisePays: params.amount - voucher, limitedBy };
}
