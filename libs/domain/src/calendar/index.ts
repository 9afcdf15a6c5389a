import { createHash } from 'node:crypto';
import year2025 from './shipped/2025.json';
import year2026 from './shipped/2026.json';
import { addDays, parseDate, startOfShanghaiDay, weekday } from '../time';

/**
 * Working days follow the State Council holiday schedule, make-up working days (调休) included
 * (SPEC 3). Each year's schedule is operations data: the State Council's notice for that year,
 * published around November of the year before, loaded by a delta operator as a small file (this
 * module validates it) and kept, versioned, by the settlement service. A year without data is an
 * error, never a silent Monday-to-Friday guess. The repository ships only the years whose notice it
 * cites (./shipped); a later year is loaded, not released.
 */

/** The notice a year's schedule comes from (国务院办公厅关于YYYY年部分节假日安排的通知). */
export interface CalendarNotice {
  title: string;
  /** the document number, e.g. 国办发明电〔2025〕7号 */
  number: string;
  /** the date the notice was issued */
  publishedOn: string;
}

/** A year's schedule as validated: every date written out, in order. */
export interface CalendarYearData {
  year: number;
  notice: CalendarNotice;
  /** a made-up year for tests, never an official schedule; refused in production */
  testFixture: boolean;
  holidays: string[];
  workdays: string[];
}

/** What was wrong with a calendar file, naming the field (e.g. `workdays[2]`). */
export class CalendarValidationError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'CalendarValidationError';
  }
}

export class CalendarYearMissingError extends Error {
  constructor(readonly year: number) {
    super(`no working-day calendar for ${year}: a delta operator loads the State Council's notice for ${year} (docs/operations.md, "Working-day calendar")`);
    this.name = 'CalendarYearMissingError';
  }
}

/** Years a schedule may be loaded for: a guard against a typo such as 2207, not a policy. */
export const CALENDAR_YEAR_RANGE = { min: 2000, max: 2100 } as const;

/** At most this many entries per list: a year has 366 days. */
const MAX_ENTRIES = 366;

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw new CalendarValidationError(field, `${field} must be a non-empty string`);
  if (value.length > max) throw new CalendarValidationError(field, `${field} is longer than ${max} characters`);
  return value.trim();
}

function date(value: unknown, field: string): string {
  try {
    parseDate(value as string);
    return value as string;
  } catch {
    throw new CalendarValidationError(field, `${field} must be a date (YYYY-MM-DD): ${JSON.stringify(value)}`);
  }
}

/** A list entry: one date, or an inclusive range written as the notice does ("2026-02-15/2026-02-23"). */
function expand(value: unknown, field: string, year: number): string[] {
  if (typeof value !== 'string') throw new CalendarValidationError(field, `${field} must be a date or a range first/last`);
  const [first, last, extra] = value.split('/');
  if (extra !== undefined) throw new CalendarValidationError(field, `${field} must be a date or a range first/last: ${value}`);
  const from = date(first, field);
  const to = last === undefined ? from : date(last, field);
  if (to < from) throw new CalendarValidationError(field, `${field}: the range ends before it starts (${value})`);
  const dates: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    if (parseDate(d).y !== year) throw new CalendarValidationError(field, `${field}: ${d} is outside ${year}`);
    dates.push(d);
  }
  return dates;
}

function list(value: unknown, field: string, year: number): Array<{ date: string; field: string }> {
  if (!Array.isArray(value)) throw new CalendarValidationError(field, `${field} must be a list of dates`);
  if (value.length > MAX_ENTRIES) throw new CalendarValidationError(field, `${field} has more than ${MAX_ENTRIES} entries`);
  return value.flatMap((entry, i) => expand(entry, `${field}[${i}]`, year).map((d) => ({ date: d, field: `${field}[${i}]` })));
}

/**
 * Validates a year's schedule as an operator gives it (SPEC 3): the year, the notice it comes from,
 * holidays and make-up working days as dates or ranges. Every date lies inside the year, none is
 * listed twice, no day is both a holiday and a make-up working day, and make-up working days fall
 * on a Saturday or Sunday (a make-up day on a weekday would change nothing: the file is wrong).
 * The first fault found is thrown, naming its field.
 */
export function parseCalendarYear(input: unknown): CalendarYearData {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new CalendarValidationError('', 'a calendar year is an object');
  const o = input as Record<string, unknown>;
  const year = o.year;
  if (typeof year !== 'number' || !Number.isSafeInteger(year) || year < CALENDAR_YEAR_RANGE.min || year > CALENDAR_YEAR_RANGE.max) {
    throw new CalendarValidationError('year', `year must be an integer from ${CALENDAR_YEAR_RANGE.min} to ${CALENDAR_YEAR_RANGE.max}`);
  }
  if (typeof o.notice !== 'object' || o.notice === null || Array.isArray(o.notice)) {
    throw new CalendarValidationError('notice', 'notice must name the State Council notice: title, number, publishedOn');
  }
  const n = o.notice as Record<string, unknown>;
  const notice: CalendarNotice = {
    title: text(n.title, 'notice.title', 200),
    number: text(n.number, 'notice.number', 100),
    publishedOn: date(n.publishedOn, 'notice.publishedOn'),
  };
  if (notice.publishedOn > `${year}-12-31`) throw new CalendarValidationError('notice.publishedOn', `a notice for ${year} is issued by the end of ${year}`);
  if (o.testFixture !== undefined && typeof o.testFixture !== 'boolean') throw new CalendarValidationError('testFixture', 'testFixture must be true or false');
  const holidays = list(o.holidays, 'holidays', year);
  const workdays = list(o.workdays ?? [], 'workdays', year);
  if (holidays.length === 0) throw new CalendarValidationError('holidays', `a State Council notice lists holidays; none are given for ${year}`);
  const seen = new Map<string, string>();
  for (const { date: d, field } of [...holidays, ...workdays]) {
    const earlier = seen.get(d);
    if (earlier) {
      const both = earlier.startsWith('holidays') !== field.startsWith('holidays');
      throw new CalendarValidationError(field, both ? `${d} is both a holiday (${earlier}) and a make-up working day` : `${d} is listed twice (${earlier})`);
    }
    seen.set(d, field);
  }
  for (const { date: d, field } of workdays) {
    const wd = weekday(d);
    if (wd !== 0 && wd !== 6) throw new CalendarValidationError(field, `${d} is a ${WEEKDAYS[wd]}: a make-up working day falls on a Saturday or Sunday`);
  }
  return {
    year,
    notice,
    testFixture: o.testFixture === true,
    holidays: holidays.map((h) => h.date).sort(),
    workdays: workdays.map((w) => w.date).sort(),
  };
}

/** A digest of a validated year's content: the same schedule from the same notice gives the same digest. */
export function calendarDigest(data: CalendarYearData): string {
  const canonical = JSON.stringify([data.year, data.notice.title, data.notice.number, data.notice.publishedOn, data.testFixture, data.holidays, data.workdays]);
  return createHash('sha256').update(canonical).digest('hex');
}

interface YearDays {
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

/**
 * Working days over the years it is given. A date of any other year is refused with
 * CalendarYearMissingError, naming that year.
 */
export class WorkingDayCalendar {
  private readonly byYear: ReadonlyMap<number, YearDays>;

  constructor(years: Iterable<Pick<CalendarYearData, 'year' | 'holidays' | 'workdays'>>) {
    const map = new Map<number, YearDays>();
    for (const y of years) {
      if (map.has(y.year)) throw new Error(`calendar: ${y.year} given twice`);
      map.set(y.year, { holidays: new Set(y.holidays), workdays: new Set(y.workdays) });
    }
    this.byYear = map;
  }

  get years(): number[] {
    return [...this.byYear.keys()].sort();
  }

  has(year: number): boolean {
    return this.byYear.has(year);
  }

  /** Make-up workdays are working days, holidays are not, otherwise Monday to Friday. */
  isWorkingDay(date: string): boolean {
    const { y } = parseDate(date);
    const cal = this.byYear.get(y);
    if (!cal) throw new CalendarYearMissingError(y);
    if (cal.workdays.has(date)) return true;
    if (cal.holidays.has(date)) return false;
    const wd = weekday(date);
    return wd !== 0 && wd !== 6;
  }

  /** The n-th working day strictly after `date` (n ≥ 1). */
  addWorkingDays(date: string, n: number): string {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`working days must be a positive integer: ${n}`);
    let current = date;
    for (let counted = 0; counted < n; ) {
      current = addDays(current, 1);
      if (this.isWorkingDay(current)) counted++;
    }
    return current;
  }

  /**
   * Publicity window (SPEC 5.6 step 2, R-PUB-1): the first N working days after the publication
   * date, closing at 24:00 Shanghai time of the last one, i.e. at 00:00 of the next calendar day.
   * `years` are the calendar years the window was counted in.
   */
  publicityWindow(publishedDate: string, workingDays: number): { firstDay: string; lastDay: string; closesAt: Date; years: number[] } {
    const lastDay = this.addWorkingDays(publishedDate, workingDays);
    const firstDay = this.addWorkingDays(publishedDate, 1);
    const years: number[] = [];
    for (let y = parseDate(addDays(publishedDate, 1)).y; y <= parseDate(lastDay).y; y++) years.push(y);
    return { firstDay, lastDay, closesAt: startOfShanghaiDay(addDays(lastDay, 1)), years };
  }
}

/** The years the repository ships, each citing its notice: the starting data of a new installation. */
export const SHIPPED_CALENDAR_YEARS: readonly CalendarYearData[] = [year2025, year2026].map((y) => parseCalendarYear(y));
