import year2025 from './data/2025.json';
import year2026 from './data/2026.json';
import { addDays, parseDate, startOfShanghaiDay, weekday } from '../time';

/**
 * Working days follow the State Council holiday schedule, make-up working days (调休) included
 * (SPEC 3). The calendar is data, one file a year in ./data; a year without a file is an error,
 * never a silent Monday-to-Friday guess. To add a year, add its file and list it below.
 */
export interface CalendarYearData {
  year: number;
  source: string;
  holidays: string[];
  workdays: string[];
}

export interface CalendarYear {
  source: string;
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

export class CalendarYearMissingError extends Error {
  constructor(readonly year: number) {
    super(`no working-day calendar for ${year}: add libs/domain/src/calendar/data/${year}.json`);
    this.name = 'CalendarYearMissingError';
  }
}

/** A malformed file must fail at load, not quietly turn a holiday into a working day. */
function loadYear(data: CalendarYearData): [number, CalendarYear] {
  const holidays = new Set(data.holidays);
  const workdays = new Set(data.workdays);
  for (const date of [...data.holidays, ...data.workdays]) {
    if (parseDate(date).y !== data.year) throw new Error(`calendar ${data.year}: ${date} is outside the year`);
    if (holidays.has(date) && workdays.has(date)) throw new Error(`calendar ${data.year}: ${date} is both a holiday and a workday`);
  }
  if (holidays.size !== data.holidays.length || workdays.size !== data.workdays.length) throw new Error(`calendar ${data.year}: duplicate dates`);
  return [data.year, { source: data.source, holidays, workdays }];
}

export const CALENDAR_YEARS: ReadonlyMap<number, CalendarYear> = new Map([year2025, year2026].map(loadYear));

function calendarOf(year: number): CalendarYear {
  const cal = CALENDAR_YEARS.get(year);
  if (!cal) throw new CalendarYearMissingError(year);
  return cal;
}

/** Make-up workdays are working days, holidays are not, otherwise Monday to Friday. */
export function isWorkingDay(date: string): boolean {
  const cal = calendarOf(parseDate(date).y);
  if (cal.workdays.has(date)) return true;
  if (cal.holidays.has(date)) return false;
  const wd = weekday(date);
  return wd !== 0 && wd !== 6;
}

/** The n-th working day strictly after `date` (n ≥ 1). */
export function addWorkingDays(date: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`working days must be a positive integer: ${n}`);
  let current = date;
  for (let counted = 0; counted < n; ) {
    current = addDays(current, 1);
    if (isWorkingDay(current)) counted++;
  }
  return current;
}

/**
 * Publicity window (SPEC 5.6 step 2, R-PUB-1): the first N working days after the publication
 * date, closing at 24:00 Shanghai time of the last one, i.e. at 00:00 of the next calendar day.
 */
export function publicityWindow(publishedDate: string, workingDays: number): { firstDay: string; lastDay: string; closesAt: Date } {
  const lastDay = addWorkingDays(publishedDate, workingDays);
  return { firstDay: addWorkingDays(publishedDate, 1), lastDay, closesAt: startOfShanghaiDay(addDays(lastDay, 1)) };
}
