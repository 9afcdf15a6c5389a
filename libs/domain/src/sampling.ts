import { createHash, randomBytes } from 'node:crypto';

/** A fresh inspection seed: 16 random bytes as hex. Store it so the sample can be reproduced. */
export function newSeed(): string {
  return randomBytes(16).toString('hex');
}

/** How many of `total` items a rate picks: a fraction rounds up (some sample beats none), a number is a count. */
export function sampleSize(total: number, rate: { num: number; den: number } | number): number {
  if (typeof rate === 'number') {
    if (!Number.isSafeInteger(rate) || rate < 0) throw new RangeError(`a sample count must be a non-negative integer: ${rate}`);
    return Math.min(rate, total);
  }
  const { num, den } = rate;
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || num < 0 || den <= 0 || num > den) {
    throw new RangeError(`a sample rate must be a fraction between 0 and 1: ${num}/${den}`);
  }
  return Math.ceil((total * num) / den);
}

/**
 * Seeded random sample for on-site inspection (SPEC 5.6 step 1): each item is ranked by
 * sha256(seed, key) and the lowest ranks are taken. The same seed and items give the same sample
 * in any input order; keys must be unique, or the order of equal keys would leak in.
 * The sample is returned in key order.
 */
export function seededSample<T>(items: T[], key: (t: T) => string, seed: string, rate: { num: number; den: number } | number): T[] {
  const count = sampleSize(items.length, rate);
  const keyed = items.map((item) => ({ item, key: key(item) })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 1; i < keyed.length; i++) {
    if (keyed[i].key === keyed[i - 1].key) throw new RangeError(`sample keys must be unique: ${keyed[i].key}`);
  }
  // The NUL separator keeps (seed 'a', key 'bc') and (seed 'ab', key 'c') apart.
  const rank = (k: string) => createHash('sha256').update(seed).update('\0').update(k).digest('hex');
  const chosen = new Set(
    keyed
      .map((x) => ({ key: x.key, rank: rank(x.key) }))
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
      .slice(0, count)
      .map((x) => x.key),
  );
  return keyed.filter((x) => chosen.has(x.key)).map((x) => x.item);
}
