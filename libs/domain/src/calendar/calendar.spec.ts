import { isHoliday, isWorkday } from 'chinese-days';
import { addDays, weekday } from '../time';
import { addWorkingDays, CALENDAR_YEARS, CalendarYearMissingError, isWorkingDay, publicityWindow } from './index';
import year2026 from './data/2026.json';

function datesOf(year: number): string[] {
  const dates: string[] = [];
  for (let d = `${year}-01-01`; d.startsWith(`${year}-`); d = addDays(d, 1)) dates.push(d);
  return dates;
}

function range(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let d = first; d <= last; d = addDays(d, 1)) dates.push(d);
  return dates;
}

describe('working-day calendar', () => {
  it('R-PUB-1: published Thu 2026-02-12 with 5 working days closes at the end of 2026-02-26 (SPEC example)', () => {
    const w = publicityWindow('2026-02-12', 5);
    expect(w).toEqual({ firstDay: '2026-02-13', lastDay: '2026-02-26', closesAt: new Date('2026-02-26T16:00:00.000Z') });
    expect(w.closesAt.toISOString()).toBe('2026-02-26T16:00:00.000Z');
  });

  it('R-PUB-1: the Spring Festival make-up Saturdays count, the holiday does not', () => {
    expect(isWorkingDay('2026-02-14')).toBe(true);
    expect(isWorkingDay('2026-02-28')).toBe(true);
    for (const d of range('2026-02-15', '2026-02-23')) expect([d, isWorkingDay(d)]).toEqual([d, false]);
    expect(addWorkingDays('2026-02-13', 1)).toBe('2026-02-14');
    expect(addWorkingDays('2026-02-14', 1)).toBe('2026-02-24');
    expect(publicityWindow('2026-02-26', 2)).toMatchObject({ firstDay: '2026-02-27', lastDay: '2026-02-28' });
  });

  it('R-PUB-1: Mid-autumn and National Day with their make-up days (Sun Sep 20, Sat Oct 10)', () => {
    expect(isWorkingDay('2026-09-19')).toBe(false);
    expect(isWorkingDay('2026-09-20')).toBe(true);
    for (const d of [...range('2026-09-25', '2026-09-27'), ...range('2026-10-01', '2026-10-07')]) expect([d, isWorkingDay(d)]).toEqual([d, false]);
    expect(isWorkingDay('2026-10-10')).toBe(true);
    expect(isWorkingDay('2026-10-11')).toBe(false);
    expect(publicityWindow('2026-09-18', 2)).toMatchObject({ firstDay: '2026-09-20', lastDay: '2026-09-21' });
    expect(publicityWindow('2026-09-24', 5)).toMatchObject({ firstDay: '2026-09-28', lastDay: '2026-10-09' });
    const w = publicityWindow('2026-09-30', 3);
    expect(w).toMatchObject({ firstDay: '2026-10-08', lastDay: '2026-10-10' });
    expect(w.closesAt.toISOString()).toBe('2026-10-10T16:00:00.000Z');
  });

  it('R-PUB-1: New Year, Qingming, Labour Day and Dragon Boat holidays are skipped', () => {
    const newYear = publicityWindow('2025-12-31', 5);
    expect(newYear).toMatchObject({ firstDay: '2026-01-04', lastDay: '2026-01-08' });
    expect(newYear.closesAt.toISOString()).toBe('2026-01-08T16:00:00.000Z');
    expect(addWorkingDays('2026-04-03', 1)).toBe('2026-04-07');
    expect(publicityWindow('2026-04-30', 5)).toMatchObject({ firstDay: '2026-05-06', lastDay: '2026-05-11' });
    expect(isWorkingDay('2026-05-09')).toBe(true);
    expect(addWorkingDays('2026-06-18', 1)).toBe('2026-06-22');
  });

  it('an ordinary week is Monday to Friday', () => {
    expect(range('2026-03-09', '2026-03-15').map(isWorkingDay)).toEqual([true, true, true, true, true, false, false]);
  });

  it('a year with no data is an error naming the year, not a silent Monday-to-Friday', () => {
    expect(() => isWorkingDay('2031-03-03')).toThrow(CalendarYearMissingError);
    expect(() => isWorkingDay('2024-12-31')).toThrow('no working-day calendar for 2024');
    expect(() => publicityWindow('2026-12-30', 5)).toThrow(CalendarYearMissingError);
    try {
      addWorkingDays('2026-12-31', 1);
      throw new Error('expected a CalendarYearMissingError');
    } catch (e) {
      expect(e).toBeInstanceOf(CalendarYearMissingError);
      expect((e as CalendarYearMissingError).year).toBe(2027);
      expect((e as Error).message).toMatch(/2027/);
    }
  });

  it('refuses a non-positive or fractional number of working days and malformed dates', () => {
    expect(() => addWorkingDays('2026-03-09', 0)).toThrow(RangeError);
    expect(() => addWorkingDays('2026-03-09', 1.5)).toThrow(RangeError);
    expect(() => publicityWindow('2026-03-09', -1)).toThrow(RangeError);
    expect(() => isWorkingDay('2026-02-30')).toThrow(RangeError);
  });

  it('the 2026 file is exactly the schedule of SPEC section 3', () => {
    const holidays = [
      ['2026-01-01', '2026-01-03'],
      ['2026-02-15', '2026-02-23'],
      ['2026-04-04', '2026-04-06'],
      ['2026-05-01', '2026-05-05'],
      ['2026-06-19', '2026-06-21'],
      ['2026-09-25', '2026-09-27'],
      ['2026-10-01', '2026-10-07'],
    ].flatMap(([first, last]) => range(first, last));
    expect(year2026.holidays).toEqual(holidays);
    expect(year2026.workdays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
  });

  it('every shipped year names its source, lists dates in order, and puts make-up workdays on weekends', () => {
    expect([...CALENDAR_YEARS.keys()].sort()).toEqual([2025, 2026]);
    for (const [year, cal] of CALENDAR_YEARS) {
      expect(cal.source).toMatch(/State Council/);
      for (const list of [[...cal.holidays], [...cal.workdays]]) expect(list).toEqual([...list].sort());
      for (const d of cal.workdays) expect([year, d, [0, 6].includes(weekday(d))]).toEqual([year, d, true]);
    }
  });

  it('agrees with the chinese-days package on every day of every year we ship', () => {
    for (const year of CALENDAR_YEARS.keys()) {
      const dates = datesOf(year);
      expect(dates).toHaveLength(year % 4 === 0 ? 366 : 365);
      const differences = dates.filter((d) => isWorkingDay(d) !== isWorkday(d) || isWorkingDay(d) === isHoliday(d));
      expect(differences).toEqual([]);
    }
  });
});
