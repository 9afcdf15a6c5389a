import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'nest-commander';
import { TokenService } from '@vc/auth';
import { CalendarStatusView, CalendarYearQueryDto, CalendarYearSummaryView, LoadCalendarYearDto, validateDto } from '@vc/contracts';
import { GetCalendarYearUseCase } from '../use-cases/calendar/get-calendar-year.use-case';
import { ListCalendarYearsUseCase } from '../use-cases/calendar/list-calendar-years.use-case';
import { LoadCalendarYearUseCase } from '../use-cases/calendar/load-calendar-year.use-case';
import { OutputFilesUseCase } from '../use-cases/output-files.use-case';
import { RunQueries } from '../use-cases/run-queries';
import { CommonOptions, principalOf, print, SettleCommand, UsageError } from './commands';

interface CalendarOptions extends CommonOptions {
  file?: string;
  supersedes?: number;
  reason?: string;
  year?: number;
  version?: number;
  history?: boolean;
}

function line(y: CalendarYearSummaryView): string {
  const fixture = y.testFixture ? ' [TEST FIXTURE]' : '';
  const by = y.supersedes ? `, corrects version ${y.supersedes}: ${y.reason}` : '';
  return `${y.year} version ${y.version}${y.current ? '' : ' (superseded)'}${fixture}: ${y.notice.title} ${y.notice.number} (${y.notice.publishedOn}); ${y.holidayCount} holidays, ${y.workdayCount} make-up working days; loaded by ${y.loadedBy.role}:${y.loadedBy.sub} at ${y.loadedAt}${by}`;
}

function statusLines(status: CalendarStatusView): string {
  return status.warnings.length ? status.warnings.map((w) => `warning: ${w}`).join('\n') : `${status.currentYear} and ${status.nextYear}: ${status.nextYearLoaded ? 'both loaded' : `${status.currentYear} loaded; ${status.nextYear} is due from ${status.nextYearDueFrom}`}`;
}

function integer(v: string, flag: string): number {
  if (!/^\d{1,9}$/.test(v)) throw new UsageError(`${flag} must be a positive integer`);
  return Number(v);
}

/**
 * The working-day calendar as operations data (SPEC 3, docs/operations.md "Working-day calendar"):
 *
 *   settle calendar load --delta --file 2027.json                         a year's State Council schedule
 *   settle calendar load --delta --file 2027.json --supersedes 1 --reason "…"   a correction (a new version)
 *   settle calendar list [--history]                                      loaded years, and what is missing
 *   settle calendar show --year 2027 [--version 1]                        every date of a year
 */
@Command({ name: 'calendar', arguments: '<action>', description: "load a year's working-day schedule (State Council notice), list or show the loaded years" })
export class CalendarCommand extends SettleCommand {
  constructor(
    tokens: TokenService,
    outputs: OutputFilesUseCase,
    private readonly runs: RunQueries,
    private readonly load: LoadCalendarYearUseCase,
    private readonly list: ListCalendarYearsUseCase,
    private readonly get: GetCalendarYearUseCase,
  ) {
    super(tokens, outputs);
  }

  protected runsUseCase() {
    return this.runs;
  }

  @Option({ flags: '--file <json>', description: 'load: the year file {year, notice: {title, number, publishedOn}, holidays, workdays}' })
  parseFile(v: string) {
    return v;
  }

  @Option({ flags: '--supersedes <version>', description: "load: correct the year's current version (with --reason)" })
  parseSupersedes(v: string) {
    return integer(v, '--supersedes');
  }

  @Option({ flags: '--reason <text>', description: 'load: why a correction is made' })
  parseReason(v: string) {
    return v;
  }

  @Option({ flags: '--year <year>', description: 'show: the year' })
  parseYear(v: string) {
    return integer(v, '--year');
  }

  @Option({ flags: '--version <n>', description: 'show: an earlier version' })
  parseVersion(v: string) {
    return integer(v, '--version');
  }

  @Option({ flags: '--history', description: 'list: every version, superseded ones included' })
  parseHistory() {
    return true;
  }

  async run([action]: string[], o: CalendarOptions): Promise<void> {
    const principal = await principalOf(this.tokens, o);
    if (action === 'load') {
      if (!o.file) throw new UsageError('calendar load needs --file <json>');
      let file: unknown;
      try {
        file = JSON.parse(readFileSync(o.file, 'utf8').replace(/^\uFEFF/, ''));
      } catch (err) {
        throw new UsageError(`${o.file}: not a readable JSON file (${(err as Error).message})`);
      }
      if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new UsageError(`${o.file}: a calendar year is a JSON object`);
      const body = { ...(file as Record<string, unknown>), ...(o.supersedes !== undefined ? { supersedes: o.supersedes } : {}), ...(o.reason ? { reason: o.reason } : {}) };
      // The load is idempotent by its content (the same schedule loads once); each invocation has a key of its own.
      const result = await this.load.execute(principal, validateDto(LoadCalendarYearDto, body), `cli:calendar:${randomUUID()}`);
      const { status } = await this.list.execute(principal, {});
      const moved = result.runsCountedOnSupersededVersion?.map((r) => `  run ${r.runId} ${r.programmeId} ${r.quarter} (${r.state}) was counted on the superseded version`) ?? [];
      print(o, { ...result, status }, [`${result.loaded ? 'loaded' : 'already loaded, nothing changed'}: ${line(result.year)}`, ...moved, statusLines(status)].join('\n'));
      return;
    }
    if (action === 'list') {
      const { items, status } = await this.list.execute(principal, { history: o.history === true });
      print(o, { items, status }, [...items.map(line), statusLines(status)].join('\n'));
      return;
    }
    if (action === 'show') {
      if (o.year === undefined) throw new UsageError('calendar show needs --year <year>');
      const y = await this.get.execute(principal, validateDto(CalendarYearQueryDto, { year: o.year, ...(o.version !== undefined ? { version: o.version } : {}) }));
      print(o, y, `${line(y)}\n  holidays: ${y.holidays.join(' ')}\n  make-up working days: ${y.workdays.join(' ') || '-'}`);
      return;
    }
    throw new UsageError('calendar <action>: load, list or show');
  }
}
