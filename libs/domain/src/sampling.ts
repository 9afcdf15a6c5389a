import { createHash, randomBytes } from 'node:crypto';

export function newSeed(): string {
  return randomBytes(16).toString('hex');
}

/**
 * A seeded random sample (5.6 step 1, on-site inspection): each item is ranked by sha256(seed, key)
 * and the lowest ranks are taken, so the same seed and items give the same sample in any input order.
 * `rate` is a fraction (at least one item when there are items) or, as a number, a count.
 */
export function seededSample<T>(items: T[], key: (t: T) => string, seed: string, rate: { num: number; den: number } | number): T[] {
  if (items.length === 0) return [];
  const count = typeof rate === 'number' ? Math.min(rate, items.length) : Math.min(items.length, Math.max(1, Math.ceil((items.length * rate.num) / rate.den)));
  return items
    .map((item) => ({ item, rank: createHash('sha256').update(seed).update('\0').update(key(item)).digest('hex'), k: key(item) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.k < b.k ? -1 : 1))
    .slice(0, count)
    .map((x) => x.item);
}
