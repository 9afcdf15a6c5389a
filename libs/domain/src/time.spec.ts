import {
  addDays,
  addMonthsClamped,
  daysInMonth,
  endOfShanghaiYear,
  parseDate,
  parseQuarter,
  quarterBounds,
  quarterOf,
  shanghaiDate,
  shanghaiYear,
  startOfShanghaiDay,
  weekday,
} from './time';

describe('Asia/Shanghai business dates', () => {
  it('R-MATCH-1: a month-end date clamps (Nov 30 + 3 months = Feb 28, or 29 in a leap year)', () => {
    expect(addMonthsClamped('2026-11-30', 3)).toBe('2027-02-28');
    expect(addMonthsClamped('2027-11-30', 3)).toBe('2028-02-29');
    expect(addMonthsClamped('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonthsClamped('2026-03-15', 3)).toBe('2026-06-15');
  });

  it('R-MATCH-1: month arithmetic crosses years both ways and keeps valid days', () => {
    expect(addMonthsClamped('2026-12-31', 2)).toBe('2027-02-28');
    expect(addMonthsClamped('2026-10-31', 3)).toBe('2027-01-31');
    expect(addMonthsClamped('2026-08-31', 1)).toBe('2026-09-30');
    expect(addMonthsClamped('2026-01-15', -1)).toBe('2025-12-15');
    expect(addMonthsClamped('2026-03-31', -13)).toBe('2025-02-28');
    expect(addMonthsClamped('2026-05-20', 0)).toBe('2026-05-20');
    expect(addMonthsClamped('2100-01-29', 1)).toBe('2100-02-28');
    expect(() => addMonthsClamped('2026-05-20', 1.5)).toThrow(RangeError);
  });

  it('R-QUOTA-2: the year ends at 24:00 of 31 December in Shanghai', () => {
    expect(endOfShanghaiYear(2026).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(shanghaiDate(new Date('2026-12-31T15:59:59.999Z'))).toBe('2026-12-31');
    expect(shanghaiDate(new Date('2026-12-31T16:00:00Z'))).toBe('2027-01-01');
    expect(shanghaiYear(new Date('2026-12-31T15:59:59.999Z'))).toBe(2026);
    expect(shanghaiYear(new Date('2026-12-31T16:00:00Z'))).toBe(2027);
  });

  it('a Shanghai day starts at 16:00 UTC of the day before', () => {
    expect(startOfShanghaiDay('2026-02-27').toISOString()).toBe('2026-02-26T16:00:00.000Z');
    expect(startOfShanghaiDay('2026-01-01').toISOString()).toBe('2025-12-31T16:00:00.000Z');
    expect(shanghaiDate(startOfShanghaiDay('2026-07-04'))).toBe('2026-07-04');
  });

  it('quarters are calendar quarters in Shanghai', () => {
    expect(parseQuarter('2026Q3')).toEqual({ year: 2026, quarter: 3 });
    const q3 = quarterBounds('2026Q3');
    expect(q3.start.toISOString()).toBe('2026-06-30T16:00:00.000Z');
    expect(q3.endExclusive.toISOString()).toBe('2026-09-30T16:00:00.000Z');
    expect(quarterBounds('2026Q4').endExclusive).toEqual(endOfShanghaiYear(2026));
    expect(quarterBounds('2026Q1').start.toISOString()).toBe('2025-12-31T16:00:00.000Z');
    expect(quarterOf(new Date('2026-09-30T15:59:59.999Z'))).toBe('2026Q3');
    expect(quarterOf(new Date('2026-09-30T16:00:00Z'))).toBe('2026Q4');
    expect(quarterOf(new Date('2025-12-31T16:00:00Z'))).toBe('2026Q1');
  });

  it('refuses malformed quarters', () => {
    for (const bad of ['2026Q5', '2026Q0', '2026q3', '2026-Q3', '26Q3', ' 2026Q3', '']) expect(() => parseQuarter(bad)).toThrow(RangeError);
    expect(() => quarterBounds('2026Q5')).toThrow(RangeError);
  });

  it('refuses dates that do not exist', () => {
    expect(parseDate('2028-02-29')).toEqual({ y: 2028, m: 2, d: 29 });
    for (const bad of ['2026-02-29', '2026-13-01', '2026-04-31', '2026-00-10', '2026-1-5', '0026-01-01', '2026-01-01T00:00']) {
      expect(() => parseDate(bad)).toThrow(RangeError);
    }
  });

  it('day arithmetic and weekdays', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(weekday('2026-02-12')).toBe(4);
    expect(weekday('2026-02-14')).toBe(6);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(1900, 2)).toBe(28);
  });
});
