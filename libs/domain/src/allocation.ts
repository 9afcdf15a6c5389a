import { Fen } from './money';
import { applyRateFloor, ratioFromBasisPoints } from './rate';

/** R-REWARD-1: the reward rate may be at most 5 %. */
export const MAX_REWARD_RATE_BP = 500;

/** R-REWARD-1: floor(rewardRate × annual voucher service total). */
export function rewardFor(serviceTotal: Fen, rewardRateBp: number): Fen {
  if (serviceTotal < 0n) throw new RangeError(`a service total may not be negative: ${serviceTotal}`);
  return applyRateFloor(serviceTotal, ratioFromBasisPoints(rewardRateBp));
}

export interface UnitReward {
  unitId: string;
  creditCode: string;
  uncapped: Fen;
}

export type CappedUnitReward = UnitReward & { reward: Fen };

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * R-REWARD-1: the units of one legal entity together get at most `cap`. When the cap binds it is
 * shared in proportion to the uncapped rewards, each floored to the fen; the leftover fen go one
 * each to the largest remainders, ties by credit code, then unit id, so the result never depends
 * on input order. Results keep the input order.
 */
export function capByLegalEntity(units: UnitReward[], cap: Fen): CappedUnitReward[] {
  if (cap < 0n) throw new RangeError(`a cap may not be negative: ${cap}`);
  if (units.some((u) => u.uncapped < 0n)) throw new RangeError('an uncapped reward may not be negative');
  const total = units.reduce((s, u) => s + u.uncapped, 0n);
  if (total <= cap) return units.map((u) => ({ ...u, reward: u.uncapped }));

  const shares = units.map((u) => ({ unit: u, reward: (cap * u.uncapped) / total, remainder: (cap * u.uncapped) % total }));
  // Σ remainder = total × leftover and each remainder < total, so the leftover is below the count
  // of non-zero remainders: every extra fen lands on a unit whose exact share had a fraction.
  let leftover = cap - shares.reduce((s, x) => s + x.reward, 0n);
  const byRemainder = [...shares].sort(
    (a, b) =>
      (a.remainder === b.remainder ? 0 : a.remainder > b.remainder ? -1 : 1) ||
      compareStrings(a.unit.creditCode, b.unit.creditCode) ||
      compareStrings(a.unit.unitId, b.unit.unitId),
  );
  for (const share of byRemainder) {
    if (leftover === 0n) break;
    share.reward += 1n;
    leftover -= 1n;
  }
  return shares.map(({ unit, reward }) => ({ ...unit, reward }));
}
