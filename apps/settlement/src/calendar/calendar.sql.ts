import { CalendarStatusView, CalendarYearSummaryView, CalendarYearView } from '@vc/contracts';
import { queryRows, Tx } from '@vc/database';
import { addDays, CalendarYearData, shanghaiDate, WorkingDayCalendar } from '@vc/domain';

/** A stored version of a year's schedule (migration 1764000000411). */
export interface CalendarRow {
  year: number;
  version: number;
  current: boolean;
  notice_title: string;
  notice_number: string;
  notice_published_on: string;
  test_fixture: boolean;
  holiday_count: number;
  workday_count: number;
  holidays?: string[];
  workdays?: string[];
  digest: string;
  supersedes: number | null;
  reason: string | null;
  loaded_by_sub: string;
  loaded_by_role: string;
  loaded_by_org: string;
  loaded_at: Date;
}

/** A date[] column as 'YYYY-MM-DD' strings in order. */
const dates = (column: string, alias: string) => `ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(${column}) d ORDER BY d) AS ${alias}`;

/** Columns of a version, its dates written out when `withDates`. `c` is settlement.calendar_years. */
function columns(withDates: boolean): string {
  return `c.year, c.version, c.version = (SELECT max(version) FROM settlement.calendar_years m WHERE m.year = c.year) AS current,
    c.notice_title, c.notice_number, to_char(c.notice_published_on, 'YYYY-MM-DD') AS notice_published_on, c.test_fixture,
    cardinality(c.holidays) AS holiday_count, cardinality(c.workdays) AS workday_count,
    ${withDates ? `${dates('c.holidays', 'holidays')}, ${dates('c.workdays', 'workdays')},` : ''}
    c.digest, c.supersedes, c.reason, c.loaded_by_sub, c.loaded_by_role, c.loaded_by_org, c.loaded_at`;
}

/** The current version of each loaded year, or every version when `history`, in year and version order. */
export function listCalendarYears(tx: Tx, history = false): Promise<CalendarRow[]> {
  return queryRows<CalendarRow>(
    tx,
    `SELECT ${columns(false)} FROM ${history ? 'settlement.calendar_years' : 'settlement.calendar_current'} c ORDER BY c.year, c.version`,
  );
}

/** One version of a year (its current one by default) with every date, or undefined. */
export async function findCalendarYear(tx: Tx, year: number, version?: number): Promise<CalendarRow | undefined> {
  const rows = await queryRows<CalendarRow>(
    tx,
    version === undefined
      ? `SELECT ${columns(true)} FROM settlement.calendar_current c WHERE c.year = $1`
      : `SELECT ${columns(true)} FROM settlement.calendar_years c WHERE c.year = $1 AND c.version = $2`,
    version === undefined ? [year] : [year, version],
  );
  return rows[0];
}

/**
 * The calendar of the current versions of `years` that are loaded, with the version of each, for
 * counting working days now. A year not loaded is simply absent: counting into it throws
 * CalendarYearMissingError, naming it.
 */
export async function calendarOf(tx: Tx, years: number[]): Promise<{ calendar: WorkingDayCalendar; versions: Array<{ year: number; version: number; testFixture: boolean }> }> {
  const rows = await queryRows<{ year: number; version: number; test_fixture: boolean; holidays: string[]; workdays: string[] }>(
    tx,
    `SELECT c.year, c.version, c.test_fixture, ${dates('c.holidays', 'holidays')}, ${dates('c.workdays', 'workdays')}
       FROM settlement.calendar_current c WHERE c.year = ANY($1::int[]) ORDER BY c.year`,
    [years],
  );
  return {
    calendar: new WorkingDayCalendar(rows.map((r) => ({ year: r.year, holidays: r.holidays, workdays: r.workdays }))),
    versions: rows.map((r) => ({ year: r.year, version: r.version, testFixture: r.test_fixture })),
  };
}

export function calendarSummaryView(row: CalendarRow): CalendarYearSummaryView {
  return {
    year: row.year,
    version: row.version,
    current: row.current,
    notice: { title: row.notice_title, number: row.notice_number, publishedOn: row.notice_published_on },
    testFixture: row.test_fixture,
    holidayCount: row.holiday_count,
    workdayCount: row.workday_count,
    digest: row.digest,
    supersedes: row.supersedes,
    reason: row.reason,
    loadedBy: { sub: row.loaded_by_sub, role: row.loaded_by_role, org: row.loaded_by_org },
    loadedAt: row.loaded_at.toISOString(),
  };
}

export function calendarYearView(row: CalendarRow): CalendarYearView {
  return { ...calendarSummaryView(row), holidays: row.holidays ?? [], workdays: row.workdays ?? [] };
}

/** The schedule of a stored version, as the domain reads it. */
export function calendarData(row: CalendarRow): CalendarYearData {
  return {
    year: row.year,
    notice: { title: row.notice_title, number: row.notice_number, publishedOn: row.notice_published_on },
    testFixture: row.test_fixture,
    holidays: row.holidays ?? [],
    workdays: row.workdays ?? [],
  };
}

/** From this month and day of a year on, next year's schedule is due (the notice comes around November). */
export const NEXT_YEAR_DUE = '11-01';

/**
 * Whether this year and, from 1 November (business clock, Asia/Shanghai), next year are loaded.
 * This year missing stops every publication; next year missing stops the Q4 runs, which publish
 * in January, so it is warned of while there is time to load it.
 */
export function calendarStatus(now: Date, loadedYears: number[]): CalendarStatusView {
  const today = shanghaiDate(now);
  const currentYear = Number(today.slice(0, 4));
  const nextYear = currentYear + 1;
  const nextYearDueFrom = `${currentYear}-${NEXT_YEAR_DUE}`;
  const currentYearLoaded = loadedYears.includes(currentYear);
  const nextYearLoaded = loadedYears.includes(nextYear);
  const warnings: string[] = [];
  if (!currentYearLoaded) {
    warnings.push(`the working-day calendar of ${currentYear} is not loaded: no run can be published until a delta operator loads the State Council's notice for ${currentYear}`);
  }
  if (!nextYearLoaded && today >= nextYearDueFrom) {
    const firstJanuary = addDays(`${currentYear}-12-31`, 1);
    warnings.push(
      `the working-day calendar of ${nextYear} is not loaded: the ${currentYear}Q4 runs, published from ${firstJanuary}, and any publicity window reaching into ${nextYear} will be refused until a delta operator loads the State Council's notice for ${nextYear}`,
    );
  }
  return { today, currentYear, currentYearLoaded, nextYear, nextYearLoaded, nextYearDueFrom, loadedYears, warnings };
}
