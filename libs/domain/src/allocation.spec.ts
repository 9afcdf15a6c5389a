import fc from 'fast-check';
import { capByLegalEntity, rewardFor } from './allocation';
import { seededSample } from './sampling';

describe('year-end reward allocation', () => {
  it('R-REWARD-1: floor(rate × annual service total)', () => {
    expect(rewardFor(1234567n, 500)).toBe(61728n);
  });

  it('R-REWARD-1: the cap is shared in proportion, leftover fen to the largest remainders, ties by credit code', () => {
    const units = [
      { unitId: 'u-b', creditCode: 'B', uncapped: 100n },
      { unitId: 'u-a', creditCode: 'A', uncapped: 100n },
      { unitId: 'u-c', creditCode: 'C', uncapped: 100n },
    ];
    // 100 shared by 3 equal units: 33 each and one leftover fen to the smallest credit code on a tie
    expect(capByLegalEntity(units, 100n).map((u) => [u.unitId, u.reward])).toEqual([
      ['u-b', 33n],
      ['u-a', 34n],
      ['u-c', 33n],
    ]);
    expect(capByLegalEntity([{ unitId: 'x', creditCode: 'A', uncapped: 10n }], 100n)[0].reward).toBe(10n);
  });

  it('R-REWARD-1: property — never above the cap, exactly the cap when it binds, no unit above its uncapped reward', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 10n }), { minLength: 1, maxLength: 12 }),
        fc.bigInt({ min: 0n, max: 10n ** 10n }),
        (amounts, cap) => {
          const units = amounts.map((uncapped, i) => ({ unitId: `u${i}`, creditCode: `C${i % 3}`, uncapped }));
          const result = capByLegalEntity(units, cap);
          const total = amounts.reduce((a, b) => a + b, 0n);
          const paid = result.reduce((a, u) => a + u.reward, 0n);
          expect(paid).toBe(total <= cap ? total : cap);
          for (const u of result) expect(u.reward <= u.uncapped).toBe(true);
          expect(capByLegalEntity(units, cap)).toEqual(result);
        },
      ),
    );
  });
});

describe('seeded inspection sample', () => {
  it('the same seed gives the same sample in any input order; another seed another sample', () => {
    const items = Array.from({ length: 200 }, (_, i) => `claim-${i}`);
    const a = seededSample(items, (x) => x, 'seed-1', { num: 1, den: 10 });
    const b = seededSample([...items].reverse(), (x) => x, 'seed-1', { num: 1, den: 10 });
    expect(a).toHaveLength(20);
    expect(b).toEqual(a);
    expect(seededSample(items, (x) => x, 'seed-2', { num: 1, den: 10 })).not.toEqual(a);
  });
});
