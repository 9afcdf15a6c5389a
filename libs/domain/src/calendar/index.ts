import year2025 from './data/2025.json';
import year2026 from './data/2026.json';
import { addDays, parseDate, startOfShanghaiDay, weekday } from '../time';

/**
 * Working days follow the State Council holiday schedule, make-up working days (调休) included.
 * The calendar is data, one file a year in ./data; a year without a file is an error, never a
 * silent Monday-to-Friday guess.
 */
interface CalendarYear {
  year: number;
  source: string;
  holidays: string[];
  workdays: string[];
}

export const CALENDAR_YEARS: ReadonlyMap<number, { holidays: ReadonlySet<string>; workdays: ReadonlySet<string>; source: string }> = new Map(
  ([year2025, year2026] as CalendarYear[]).map((y) => [y.year, { holidays: new Set(y.holidays), workdays: new Set(y.workdays), source: y.source }]),
);

export class CalendarYearMissingError extends Error {
  constructor(readonly year: number) {
    super(`no working-day calendar for ${year}: add libs/domain/src/calendar/data/${year}.json`);
    this.name = 'CalendarYearMissingError';
  }
}

function calendarOf(year: number) {
  const cal = CALENDAR_YEARS.get(year);
  if (!cal) throw new CalendarYearMissingError(year);
  return cal;
}

export function isWorkingDay(date: string): boolean {
  const cal = calendarOf(parseDate(date).y);
  if (cal.workdays.has(date)) return true;
  if (cal.holidays.has(date)) return false;
  const wd = weekday(date);
  return wd !== 0 && wd !== 6;
}

/** The n-th working day strictly after `date`. */
export function addWorkingDays(date: string, n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
  let current = date;
  let counted = 0;
  while (counted < n) {
    current = addDays(current, 1);
    if (isWorkingDay(current)) counted++;
  }
  return current;
}

/**
 * The publicity window (5.6 step 2): the first N working days after the publication date, closing
 * at 24:00 (Asia/Shanghai) of the last one.
 */
export function publicityWindow(publishedDate: string, workingDays: number): { firstDay: string; lastDay: string; closesAt: Date } {
  const firstDay = addWorkingDays(publishedDate, 1);
  const lastDay = addWorkingDays(publishedDate, workingDays);
  return { firstDay, lastDay, closesAt: startOfShanghaiDay(addDays(lastDay, 1)) };
}
