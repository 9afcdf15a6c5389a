/**
 * Business dates in Asia/Shanghai, which is UTC+8 all year (no daylight saving), so plain integer
 * arithmetic on UTC milliseconds is exact; no time-zone database is needed.
 */
const OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

function iso(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function parseDate(date: string): { y: number; m: number; d: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) throw new RangeError(`no such date: ${date}`);
  return { y, m, d };
}

export function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function shanghaiDate(instant: Date): string {
  const t = new Date(instant.getTime() + OFFSET_MS);
  return iso(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

export function shanghaiYear(instant: Date): number {
  return new Date(instant.getTime() + OFFSET_MS).getUTCFullYear();
}

/** 00:00 of the date in Shanghai, as an instant. */
export function startOfShanghaiDay(date: string): Date {
  const { y, m, d } = parseDate(date);
  return new Date(Date.UTC(y, m - 1, d) - OFFSET_MS);
}

/** The exclusive end of a Shanghai year: 00:00 of 1 January of the next year (R-QUOTA-2). */
export function endOfShanghaiYear(year: number): Date {
  return new Date(Date.UTC(year + 1, 0, 1) - OFFSET_MS);
}

export function addDays(date: string, n: number): string {
  const { y, m, d } = parseDate(date);
  const t = new Date(Date.UTC(y, m - 1, d) + n * DAY_MS);
  return iso(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** 0 = Sunday … 6 = Saturday */
export function weekday(date: string): number {
  const { y, m, d } = parseDate(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

export function parseQuarter(q: string): { year: number; quarter: 1 | 2 | 3 | 4 } {
  const match = /^(\d{4})Q([1-4])$/.exec(q);
  if (!match) throw new RangeError(`not a quarter (e.g. 2026Q3): ${q}`);
  return { year: Number(match[1]), quarter: Number(match[2]) as 1 | 2 | 3 | 4 };
}

/** Calendar quarter bounds in Shanghai (Q1 = Jan–Mar): [start, endExclusive). */
export function quarterBounds(q: string): { start: Date; endExclusive: Date } {
  const { year, quarter } = parseQuarter(q);
  const startMonth = (quarter - 1) * 3;
  return {
    start: new Date(Date.UTC(year, startMonth, 1) - OFFSET_MS),
    endExclusive: new Date(Date.UTC(year, startMonth + 3, 1) - OFFSET_MS),
  };
}

export function quarterOf(instant: Date): string {
  const t = new Date(instant.getTime() + OFFSET_MS);
  return `${t.getUTCFullYear()}Q${Math.floor(t.getUTCMonth() / 3) + 1}`;
}

/** Calendar months later; a day past the target month's end clamps to it (Nov 30 + 3 → Feb 28/29). */
export function addMonthsClamped(date: string, months: number): string {
  const { y, m, d } = parseDate(date);
  const index = y * 12 + (m - 1) + months;
  const ty = Math.floor(index / 12);
  const tm = (index % 12) + 1;
  return iso(ty, tm, Math.min(d, daysInMonth(ty, tm)));
}
