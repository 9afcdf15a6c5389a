import { getDayDetail } from 'chinese-days';
import { addDays } from '../time';
import { addWorkingDays, CALENDAR_YEARS, CalendarYearMissingError, isWorkingDay, publicityWindow } from './index';

describe('working-day calendar', () => {
  it('R-PUB-1: published Thu 2026-02-12 with 5 working days closes at the end of 2026-02-26 (SPEC example)', () => {
    const w = publicityWindow('2026-02-12', 5);
    expect(w.firstDay).toBe('2026-02-13');
    expect(w.lastDay).toBe('2026-02-26');
    expect(w.closesAt.toISOString()).toBe('2026-02-26T16:00:00.000Z');
  });

  it('R-PUB-1: a make-up Saturday counts, the Spring Festival holiday does not', () => {
    expect(isWorkingDay('2026-02-14')).toBe(true);
    for (let d = 15; d <= 23; d++) expect(isWorkingDay(`2026-02-${d}`)).toBe(false);
    expect(addWorkingDays('2026-02-13', 1)).toBe('2026-02-14');
    expect(addWorkingDays('2026-02-14', 1)).toBe('2026-02-24');
  });

  it('R-PUB-1: National Day week and its make-up days (Sun Sep 20, Sat Oct 10)', () => {
    expect(isWorkingDay('2026-09-20')).toBe(true);
    expect(isWorkingDay('2026-10-10')).toBe(true);
    expect(publicityWindow('2026-09-24', 5).lastDay).toBe('2026-10-09');
    expect(publicityWindow('2026-09-30', 3)).toMatchObject({ firstDay: '2026-10-08', lastDay: '2026-10-10' });
  });

  it('an ordinary week is Monday to Friday', () => {
    expect(isWorkingDay('2026-03-09')).toBe(true);
    expect(isWorkingDay('2026-03-14')).toBe(false);
    expect(isWorkingDay('2026-03-15')).toBe(false);
  });

  it('a year with no data is an error, not a silent Monday-to-Friday', () => {
    expect(() => isWorkingDay('2031-03-03')).toThrow(CalendarYearMissingError);
    expect(() => publicityWindow('2026-12-30', 5)).toThrow(/2027/);
  });

  it('agrees with the chinese-days package on every day of every year we ship', () => {
    for (const year of CALENDAR_YEARS.keys()) {
      for (let d = `${year}-01-01`; d.startsWith(String(year)); d = addDays(d, 1)) {
        expect([d, isWorkingDay(d)]).toEqual([d, getDayDetail(d).work]);
      }
    }
  });
});
