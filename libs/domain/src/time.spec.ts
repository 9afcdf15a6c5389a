import { addMonthsClamped, endOfShanghaiYear, quarterBounds, quarterOf, shanghaiDate } from './time';

describe('Asia/Shanghai business dates', () => {
  it('R-MATCH-1: a month-end date clamps (Nov 30 + 3 months = Feb 28, or 29 in a leap year)', () => {
    expect(addMonthsClamped('2026-11-30', 3)).toBe('2027-02-28');
    expect(addMonthsClamped('2027-11-30', 3)).toBe('2028-02-29');
    expect(addMonthsClamped('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonthsClamped('2026-03-15', 3)).toBe('2026-06-15');
  });

  it('R-QUOTA-2: the year ends at 24:00 of 31 December in Shanghai', () => {
    expect(endOfShanghaiYear(2026).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(shanghaiDate(new Date('2026-12-31T15:59:59Z'))).toBe('2026-12-31');
    expect(shanghaiDate(new Date('2026-12-31T16:00:00Z'))).toBe('2027-01-01');
  });

  it('quarters are calendar quarters in Shanghai', () => {
    const q = quarterBounds('2026Q3');
    expect(q.start.toISOString()).toBe('2026-06-30T16:00:00.000Z');
    expect(q.endExclusive.toISOString()).toBe('2026-09-30T16:00:00.000Z');
    expect(quarterOf(new Date('2026-09-30T15:59:59Z'))).toBe('2026Q3');
    expect(quarterOf(new Date('2026-09-30T16:00:00Z'))).toBe('2026Q4');
    expect(() => quarterBounds('2026Q5')).toThrow(RangeError);
  });
});
