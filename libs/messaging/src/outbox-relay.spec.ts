import { backoffMs } from './outbox-relay';

describe('outbox relay back-off', () => {
  it('doubles from the poll interval (at least 100 ms) up to 3 s, each wait in the upper half of its step', () => {
    for (let i = 0; i < 200; i++) {
      for (const [tries, ceiling] of [
        [1, 100],
        [2, 200],
        [3, 400],
        [5, 1600],
        [6, 3000],
        [40, 3000],
      ]) {
        const ms = backoffMs(tries, 20);
        expect(ms).toBeGreaterThanOrEqual(ceiling / 2);
        expect(ms).toBeLessThanOrEqual(ceiling);
      }
      expect(backoffMs(1, 500)).toBeGreaterThanOrEqual(250);
    }
  });

  it('spreads the retries of many relays (jitter)', () => {
    expect(new Set(Array.from({ length: 50 }, () => backoffMs(6, 50))).size).toBeGreaterThan(10);
  });
});
