import { Fen } from './money';
import { applyRateFloor, ratioFromBasisPoints } from './rate';

/** R-REWARD-1: floor(rewardRate × annual voucher service total). */
export function rewardFor(serviceTotal: Fen, rewardRateBp: number): Fen {
  return applyRateFloor(serviceTotal, ratioFromBasisPoints(rewardRateBp));
}

export interface UnitReward {
  unitId: string;
  creditCode: string;
  uncapped: Fen;
}

/**
 * R-REWARD-1: the units of one legal entity together get at most `cap`. When the cap binds it is
 * shared in proportion to the uncapped rewards, each floored to the fen; the leftover fen go one
 * each to the largest remainders, ties by credit code (then unit id).
 */
export function capByLegalEntity(units: UnitReward[], cap: Fen): Array<UnitReward & { reward: Fen }> {
  const total = units.reduce((s, u) => s + u.uncapped, 0n);
  if (total <= cap) return units.map((u) => ({ ...u, reward: u.uncapped }));
  const shares = units.map((u) => ({ ...u, reward: (cap * u.uncapped) / total, remainder: (cap * u.uncapped) % total }));
  let leftover = cap - shares.reduce((s, u) => s + u.reward, 0n);
  const order = [...shares].sort((a, b) =>
    a.remainder !== b.remainder ? (b.remainder > a.remainder ? 1 : -1) : a.creditCode !== b.creditCode ? (a.creditCode < b.creditCode ? -1 : 1) : a.unitId < b.unitId ? -1 : a.unitId > b.unitId ? 1 : 0,
  );
  for (const s of order) {
    if (leftover === 0n) break;
    s.reward += 1n;
    leftover -= 1n;
  }
  return shares.map(({ remainder: _r, ...u }) => u);
}
