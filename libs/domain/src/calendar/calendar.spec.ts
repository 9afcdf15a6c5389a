import { isHoliday, isWorkday } from 'chinese-days';
import { addDays, weekday } from '../time';
import { calendarDigest, CalendarValidationError, CalendarYearMissingError, parseCalendarYear, SHIPPED_CALENDAR_YEARS, WorkingDayCalendar } from './index';

const shipped = new WorkingDayCalendar(SHIPPED_CALENDAR_YEARS);
const isWorkingDay = (d: string) => shipped.isWorkingDay(d);
const addWorkingDays = (d: string, n: number) => shipped.addWorkingDays(d, n);
const publicityWindow = (d: string, n: number) => {
  const { years: _years, ...window } = shipped.publicityWindow(d, n);
  return window;
};
const year2026 = SHIPPED_CALENDAR_YEARS.find((y) => y.year === 2026)!;

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

  it('every shipped year cites its State Council notice (title and document number), is no test fixture, and puts make-up workdays on weekends', () => {
    expect(SHIPPED_CALENDAR_YEARS.map((y) => y.year)).toEqual([2025, 2026]);
    expect(SHIPPED_CALENDAR_YEARS.map((y) => y.notice)).toEqual([
      { title: '国务院办公厅关于2025年部分节假日安排的通知', number: '国办发明电〔2024〕12号', publishedOn: '2024-11-12' },
      { title: '国务院办公厅关于2026年部分节假日安排的通知', number: '国办发明电〔2025〕7号', publishedOn: '2025-11-04' },
    ]);
    for (const cal of SHIPPED_CALENDAR_YEARS) {
      expect(cal.testFixture).toBe(false);
      for (const list of [cal.holidays, cal.workdays]) expect(list).toEqual([...list].sort());
      for (const d of cal.workdays) expect([cal.year, d, [0, 6].includes(weekday(d))]).toEqual([cal.year, d, true]);
    }
  });

  it('agrees with the chinese-days package on every day of every year we ship', () => {
    for (const year of shipped.years) {
      const dates = datesOf(year);
      expect(dates).toHaveLength(year % 4 === 0 ? 366 : 365);
      const differences = dates.filter((d) => isWorkingDay(d) !== isWorkday(d) || isWorkingDay(d) === isHoliday(d));
      expect(differences).toEqual([]);
    }
  });

  describe('a year loaded as operations data (SPEC 3)', () => {
    const file = (over: Record<string, unknown> = {}) => ({
      year: 2027,
      notice: { title: 'TEST FIXTURE — not an official notice', number: 'FIXTURE-2027', publishedOn: '2026-11-03' },
      testFixture: true,
      holidays: ['2027-01-01', '2027-02-06/2027-02-13'],
      workdays: ['2027-02-14', '2027-02-20'],
      ...over,
    });
    const fault = (input: unknown): { field: string; message: string } => {
      try {
        parseCalendarYear(input);
      } catch (e) {
        if (e instanceof CalendarValidationError) return { field: e.field, message: e.message };
        throw e;
      }
      throw new Error('expected a CalendarValidationError');
    };

    it('expands ranges, sorts the dates and keeps the notice and the fixture mark', () => {
      const y = parseCalendarYear(file({ holidays: ['2027-02-06/2027-02-08', '2027-01-01'] }));
      expect(y).toEqual({
        year: 2027,
        notice: { title: 'TEST FIXTURE — not an official notice', number: 'FIXTURE-2027', publishedOn: '2026-11-03' },
        testFixture: true,
        holidays: ['2027-01-01', '2027-02-06', '2027-02-07', '2027-02-08'],
        workdays: ['2027-02-14', '2027-02-20'],
      });
      const cal = new WorkingDayCalendar([y, ...SHIPPED_CALENDAR_YEARS]);
      expect(cal.isWorkingDay('2027-02-08')).toBe(false);
      expect(cal.isWorkingDay('2027-02-14')).toBe(true);
      expect(cal.publicityWindow('2026-12-30', 5)).toMatchObject({ firstDay: '2026-12-31', lastDay: '2027-01-07', years: [2026, 2027] });
    });

    it('every date lies inside the year', () => {
      expect(fault(file({ holidays: ['2026-12-31'] }))).toEqual({ field: 'holidays[0]', message: 'holidays[0]: 2026-12-31 is outside 2027' });
      expect(fault(file({ workdays: ['2027-02-14', '2028-01-01'] }))).toMatchObject({ field: 'workdays[1]' });
      expect(fault(file({ holidays: ['2027-12-30/2028-01-02'] }))).toMatchObject({ field: 'holidays[0]', message: expect.stringContaining('2028-01-01 is outside 2027') });
    });

    it('no day is both a holiday and a make-up working day, and none is listed twice', () => {
      expect(fault(file({ workdays: ['2027-02-06'] }))).toEqual({ field: 'workdays[0]', message: '2027-02-06 is both a holiday (holidays[1]) and a make-up working day' });
      expect(fault(file({ holidays: ['2027-01-01', '2027-01-01'] }))).toMatchObject({ field: 'holidays[1]', message: expect.stringContaining('listed twice') });
    });

    it('make-up working days fall on a Saturday or Sunday', () => {
      expect(fault(file({ workdays: ['2027-03-10'] }))).toEqual({ field: 'workdays[0]', message: '2027-03-10 is a Wednesday: a make-up working day falls on a Saturday or Sunday' });
    });

    it('refuses malformed files, naming the field', () => {
      expect(fault(null).field).toBe('');
      expect(fault(file({ year: 2207 })).field).toBe('year');
      expect(fault(file({ year: '2027' })).field).toBe('year');
      expect(fault(file({ notice: undefined })).field).toBe('notice');
      expect(fault(file({ notice: { title: ' ', number: 'x', publishedOn: '2026-11-03' } })).field).toBe('notice.title');
      expect(fault(file({ notice: { title: 't', number: 'x', publishedOn: '2028-01-01' } })).field).toBe('notice.publishedOn');
      expect(fault(file({ holidays: [] })).field).toBe('holidays');
      expect(fault(file({ holidays: '2027-01-01' })).field).toBe('holidays');
      expect(fault(file({ holidays: ['2027-02-30'] })).field).toBe('holidays[0]');
      expect(fault(file({ holidays: ['2027-02-08/2027-02-06'] })).message).toContain('ends before it starts');
      expect(fault(file({ holidays: ['2027-01-01/2027-01-02/2027-01-03'] })).field).toBe('holidays[0]');
      expect(fault(file({ testFixture: 'yes' })).field).toBe('testFixture');
    });

    it('the digest names the content: the same schedule gives the same digest, any change another', () => {
      const a = parseCalendarYear(file());
      expect(calendarDigest(parseCalendarYear(file({ holidays: ['2027-02-06/2027-02-13', '2027-01-01'] })))).toBe(calendarDigest(a));
      expect(calendarDigest(parseCalendarYear(file({ workdays: ['2027-02-14'] })))).not.toBe(calendarDigest(a));
      expect(calendarDigest(parseCalendarYear(file({ testFixture: false })))).not.toBe(calendarDigest(a));
    });
  });
});
