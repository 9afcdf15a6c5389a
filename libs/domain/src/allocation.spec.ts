import fc from 'fast-check';
import { capByLegalEntity, MAX_REWARD_RATE_BP, rewardFor, UnitReward } from './allocation';
import { yuanToFen } from './money';

const CAP = yuanToFen('500000');

const unitsArb = fc.uniqueArray(
  fc.record({
    unitId: fc.string({ minLength: 1, maxLength: 4 }),
    creditCode: fc.constantFrom('91320100MA1XY0123A', '12320000466000000B', '12320000466000000C'),
    uncapped: fc.bigInt({ min: 0n, max: 10n ** 10n }),
  }),
  { minLength: 1, maxLength: 12, selector: (u) => u.unitId },
);

describe('year-end performance reward', () => {
  it('R-REWARD-1: floors rate × annual service total', () => {
    expect(rewardFor(1234567n, 500)).toBe(61728n);
    expect(rewardFor(19n, 500)).toBe(0n);
    expect(rewardFor(0n, MAX_REWARD_RATE_BP)).toBe(0n);
    expect(() => rewardFor(-1n, 500)).toThrow(RangeError);
  });

  it('R-REWARD-1: under the cap every unit keeps its uncapped reward', () => {
    const units = [
      { unitId: 'u1', creditCode: 'X', uncapped: 10n },
      { unitId: 'u2', creditCode: 'X', uncapped: 20n },
    ];
    expect(capByLegalEntity(units, 30n).map((u) => u.reward)).toEqual([10n, 20n]);
    expect(capByLegalEntity([], 30n)).toEqual([]);
  });

  it('R-REWARD-1: a binding cap is shared in proportion, leftover fen to the largest remainders', () => {
    // 500,000 yuan shared 3:2:1 by three colleges: 250,000 / 166,666.66 / 83,333.33, + 1 fen to the largest remainder
    const units = [
      { unitId: 'college-a', creditCode: 'X', uncapped: yuanToFen('300000') },
      { unitId: 'college-b', creditCode: 'X', uncapped: yuanToFen('200000') },
      { unitId: 'college-c', creditCode: 'X', uncapped: yuanToFen('100000') },
    ];
    expect(capByLegalEntity(units, CAP).map((u) => [u.unitId, u.reward])).toEqual([
      ['college-a', 25_000_000n],
      ['college-b', 16_666_667n],
      ['college-c', 8_333_333n],
    ]);
  });

  it('R-REWARD-1: remainder ties go by credit code, then unit id, whatever the input order', () => {
    const units = [
      { unitId: 'u-b', creditCode: 'B', uncapped: 100n },
      { unitId: 'u-a2', creditCode: 'A', uncapped: 100n },
      { unitId: 'u-a1', creditCode: 'A', uncapped: 100n },
    ];
    // 101 fen over three equal units: 33 each, 2 leftover fen to A/u-a1 then A/u-a2
    expect(capByLegalEntity(units, 101n).map((u) => [u.unitId, u.reward])).toEqual([
      ['u-b', 33n],
      ['u-a2', 34n],
      ['u-a1', 34n],
    ]);
    expect(capByLegalEntity([...units].reverse(), 101n).map((u) => [u.unitId, u.reward])).toEqual([
      ['u-a1', 34n],
      ['u-a2', 34n],
      ['u-b', 33n],
    ]);
  });

  it('R-REWARD-1: refuses a negative cap or uncapped reward', () => {
    expect(() => capByLegalEntity([{ unitId: 'u', creditCode: 'X', uncapped: 1n }], -1n)).toThrow(RangeError);
    expect(() => capByLegalEntity([{ unitId: 'u', creditCode: 'X', uncapped: -1n }], 1n)).toThrow(RangeError);
  });

  it('R-REWARD-1: property — never above the cap, exactly the cap when it binds, no unit above its uncapped reward, order-independent', () => {
    fc.assert(
      fc.property(unitsArb, fc.bigInt({ min: 0n, max: 10n ** 10n }), (units: UnitReward[], cap) => {
        const result = capByLegalEntity(units, cap);
        const total = units.reduce((s, u) => s + u.uncapped, 0n);
        const paid = result.reduce((s, u) => s + u.reward, 0n);
        expect(paid).toBe(total <= cap ? total : cap);
        for (const u of result) expect(u.reward >= 0n && u.reward <= u.uncapped).toBe(true);
        expect(result.map(({ unitId, creditCode, uncapped }) => ({ unitId, creditCode, uncapped }))).toEqual(units);
        const rewardOf = (r: typeof result) => Object.fromEntries(r.map((u) => [u.unitId, u.reward]));
        expect(rewardOf(capByLegalEntity([...units].reverse(), cap))).toEqual(rewardOf(result));
        expect(capByLegalEntity(units, cap)).toEqual(result);
      }),
    );
  });

  it('R-REWARD-1: property — each unit gets its floored proportional share or one fen more', () => {
    fc.assert(
      fc.property(unitsArb, fc.bigInt({ min: 0n, max: 10n ** 10n }), (units: UnitReward[], cap) => {
        const total = units.reduce((s, u) => s + u.uncapped, 0n);
        fc.pre(total > cap);
        for (const u of capByLegalEntity(units, cap)) {
          const floor = (cap * u.uncapped) / total;
          expect(u.reward === floor || u.reward === floor + 1n).toBe(true);
        }
      }),
    );
  });
});
