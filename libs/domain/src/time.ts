/**
 * Business dates in Asia/Shanghai (SPEC 3). Shanghai is UTC+8 all year (no daylight saving since
 * 1991), so shifting UTC milliseconds by a constant is exact and no time-zone database is needed.
 * Calendar dates are 'YYYY-MM-DD' strings; instants are Dates.
 */
const OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

export type Quarter = 1 | 2 | 3 | 4;

function iso(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function requireInteger(name: string, n: number): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${name} must be an integer: ${n}`);
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Parses and validates 'YYYY-MM-DD' (years 1000–9999, so Date.UTC never reinterprets them). */
export function parseDate(date: string): { y: number; m: number; d: number } {
  const match = typeof date === 'string' ? /^([1-9]\d{3})-(\d{2})-(\d{2})$/.exec(date) : null;
  if (!match) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) throw new RangeError(`no such date: ${date}`);
  return { y, m, d };
}

function utcDate(t: number): string {
  const u = new Date(t);
  return iso(u.getUTCFullYear(), u.getUTCMonth() + 1, u.getUTCDate());
}

function utcMidnight(date: string): number {
  const { y, m, d } = parseDate(date);
  return Date.UTC(y, m - 1, d);
}

/** The calendar date in Shanghai at this instant. */
export function shanghaiDate(instant: Date): string {
  return utcDate(instant.getTime() + OFFSET_MS);
}

export function shanghaiYear(instant: Date): number {
  return new Date(instant.getTime() + OFFSET_MS).getUTCFullYear();
}

/** 00:00 of the date in Shanghai, as an instant. */
export function startOfShanghaiDay(date: string): Date {
  return new Date(utcMidnight(date) - OFFSET_MS);
}

/** Exclusive end of a Shanghai year: 00:00 of 1 January of year + 1 (R-QUOTA-2). */
export function endOfShanghaiYear(year: number): Date {
  requireInteger('year', year);
  return new Date(Date.UTC(year + 1, 0, 1) - OFFSET_MS);
}

export function addDays(date: string, n: number): string {
  requireInteger('days', n);
  return utcDate(utcMidnight(date) + n * DAY_MS);
}

/** 0 = Sunday … 6 = Saturday */
export function weekday(date: string): number {
  return new Date(utcMidnight(date)).getUTCDay();
}

/** '2026Q3' → { year: 2026, quarter: 3 } */
export function parseQuarter(q: string): { year: number; quarter: Quarter } {
  const match = typeof q === 'string' ? /^([1-9]\d{3})Q([1-4])$/.exec(q) : null;
  if (!match) throw new RangeError(`not a quarter (e.g. 2026Q3): ${q}`);
  return { year: Number(match[1]), quarter: Number(match[2]) as Quarter };
}

/** Calendar quarter in Shanghai (Q1 = Jan–Mar) as [start, endExclusive). */
export function quarterBounds(q: string): { start: Date; endExclusive: Date } {
  const { year, quarter } = parseQuarter(q);
  const firstMonth = (quarter - 1) * 3;
  return {
    start: new Date(Date.UTC(year, firstMonth, 1) - OFFSET_MS),
    endExclusive: new Date(Date.UTC(year, firstMonth + 3, 1) - OFFSET_MS),
  };
}

export function quarterOf(instant: Date): string {
  const t = new Date(instant.getTime() + OFFSET_MS);
  return `${t.getUTCFullYear()}Q${Math.floor(t.getUTCMonth() / 3) + 1}`;
}

/** R-MATCH-1: calendar months later; a day past the target month's end clamps to it (Nov 30 + 3 → Feb 28/29). */
export function addMonthsClamped(date: string, months: number): string {
  requireInteger('months', months);
  const { y, m, d } = parseDate(date);
  const index = y * 12 + (m - 1) + months;
  const ty = Math.floor(index / 12);
  const tm = index - ty * 12 + 1;
  return iso(ty, tm, Math.min(d, daysInMonth(ty, tm)));
}
