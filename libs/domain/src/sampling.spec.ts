import { newSeed, sampleSize, seededSample } from './sampling';

const claims = Array.from({ length: 200 }, (_, i) => ({ id: `claim-${String(i).padStart(3, '0')}` }));
const byId = (c: { id: string }) => c.id;

describe('seeded inspection sample', () => {
  it('the same seed gives the same sample in any input order', () => {
    const a = seededSample(claims, byId, 'seed-1', { num: 1, den: 10 });
    expect(a).toHaveLength(20);
    expect(seededSample([...claims].reverse(), byId, 'seed-1', { num: 1, den: 10 })).toEqual(a);
    const shuffled = [...claims].sort((x, y) => (x.id.slice(-1) + x.id < y.id.slice(-1) + y.id ? -1 : 1));
    expect(seededSample(shuffled, byId, 'seed-1', { num: 1, den: 10 })).toEqual(a);
    expect(a.map(byId)).toEqual(a.map(byId).sort());
  });

  it('another seed gives another sample', () => {
    const a = seededSample(claims, byId, 'seed-1', 20);
    expect(seededSample(claims, byId, 'seed-2', 20)).not.toEqual(a);
  });

  it('a larger sample with the same seed contains the smaller one', () => {
    const small = seededSample(claims, byId, 'seed-1', 5).map(byId);
    const large = new Set(seededSample(claims, byId, 'seed-1', 50).map(byId));
    for (const id of small) expect(large.has(id)).toBe(true);
  });

  it('a fraction rounds up, a number is a count, both bounded by the items', () => {
    expect(sampleSize(11, { num: 1, den: 10 })).toBe(2);
    expect(sampleSize(1, { num: 1, den: 10 })).toBe(1);
    expect(sampleSize(0, { num: 1, den: 10 })).toBe(0);
    expect(sampleSize(50, { num: 0, den: 10 })).toBe(0);
    expect(sampleSize(50, { num: 1, den: 1 })).toBe(50);
    expect(sampleSize(3, 10)).toBe(3);
    expect(seededSample(claims, byId, 's', 0)).toEqual([]);
    expect(seededSample([], byId, 's', { num: 1, den: 2 })).toEqual([]);
    expect(seededSample(claims, byId, 's', 1000)).toHaveLength(200);
  });

  it('refuses bad rates and duplicate keys', () => {
    for (const bad of [-1, 1.5, { num: 2, den: 1 }, { num: 1, den: 0 }, { num: -1, den: 2 }, { num: 0.5, den: 2 }]) {
      expect(() => seededSample(claims, byId, 's', bad)).toThrow(RangeError);
    }
    expect(() => seededSample([{ id: 'x' }, { id: 'x' }], byId, 's', 1)).toThrow(RangeError);
  });

  it('newSeed gives 16 random bytes as hex', () => {
    const seed = newSeed();
    expect(seed).toMatch(/^[0-9a-f]{32}$/);
    expect(newSeed()).not.toBe(seed);
  });
});
