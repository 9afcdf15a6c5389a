import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { CalendarLoadView, LoadCalendarYearDto, Principal, Role } from '@vc/contracts';
import { advisoryKey } from '@vc/database';
import { calendarDigest, CalendarValidationError, CalendarYearData, parseCalendarYear } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { calendarSummaryView, findCalendarYear } from '../../calendar/calendar.sql';

/**
 * SPEC 3: a delta operator loads a year's working-day schedule, the State Council's notice for that
 * year, from a small file (CLI `settle calendar load`, HTTP `PUT /v1/calendar/years/:year`).
 *
 * Validated (libs/domain `parseCalendarYear`: every date inside the year, no day both a holiday and
 * a make-up working day, make-up days on weekends), audited (who, when, the notice), versioned: a
 * year's first load is version 1; the same schedule from the same notice loaded again changes
 * nothing; a different one is a correction, which must name the version it supersedes (the
 * current one, so two operators cannot correct past each other) and say why, and becomes the next
 * version. Nothing is edited. Every settlement instance reads the current version when it counts a
 * window, so the year is in use at once, without a restart.
 */
@Injectable()
export class LoadCalendarYearUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly config: AppConfig) {}

  async execute(principal: Principal, dto: LoadCalendarYearDto, key?: string): Promise<CalendarLoadView> {
    requireRole(principal, Role.DeltaOperator);
    let data: CalendarYearData;
    try {
      data = parseCalendarYear({ year: dto.year, notice: dto.notice, testFixture: dto.testFixture, holidays: dto.holidays, workdays: dto.workdays ?? [] });
    } catch (err) {
      if (err instanceof CalendarValidationError) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: err.field || undefined, message: err.message });
      throw err;
    }
    if (data.testFixture && this.config.NODE_ENV === 'production') {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'testFixture', message: 'a test fixture year is never loaded in production: load the State Council notice' });
    }
    const digest = calendarDigest(data);
    return this.uow.idempotent(principal, 'calendar.load', key, dto, async (work) => {
      // One load of a year at a time: the version read below is the one the insert follows.
      await work.query(`SELECT pg_advisory_xact_lock($1)`, [advisoryKey(`calendar:${data.year}`)]);
      const current = await findCalendarYear(work.tx, data.year);
      if (current && current.digest === digest) return { loaded: false, year: calendarSummaryView(current) };
      if (!current && dto.supersedes !== undefined) {
        throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'supersedes', message: `${data.year} has no schedule yet: there is nothing to supersede` });
      }
      if (current) {
        const details = { currentVersion: current.version, currentNotice: { title: current.notice_title, number: current.notice_number } };
        if (dto.supersedes === undefined) {
          throw new DomainError(ErrorCode.ALREADY_EXISTS, {
            field: 'supersedes',
            message: `${data.year} has a schedule (version ${current.version}, ${current.notice_number}); a correction names supersedes: ${current.version} and a reason`,
            details,
          });
        }
        if (dto.supersedes !== current.version) {
          throw new DomainError(ErrorCode.ILLEGAL_STATE, {
            field: 'supersedes',
            message: `the current schedule of ${data.year} is version ${current.version}, not ${dto.supersedes}: read it again before correcting it`,
            details,
          });
        }
        if (!dto.reason) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'reason', message: 'a correction says why' });
      }
      const version = (current?.version ?? 0) + 1;
      const now = this.clock.now();
      await work.query(
        `INSERT INTO settlement.calendar_years (year, version, notice_title, notice_number, notice_published_on, test_fixture, holidays, workdays, digest,
           supersedes, reason, loaded_by_sub, loaded_by_role, loaded_by_org, loaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::date[], $8::date[], $9, $10, $11, $12, $13, $14, $15)`,
        [
          data.year,
          version,
          data.notice.title,
          data.notice.number,
          data.notice.publishedOn,
          data.testFixture,
          data.holidays,
          data.workdays,
          digest,
          current ? current.version : null,
          dto.reason ?? null,
          principal.sub,
          principal.role,
          principal.org,
          now,
        ],
      );
      // Runs whose open or past window was counted on the version now superseded keep their window
      // (it was published); the operator is told which they are.
      const countedOnEarlier = current
        ? await work.query<{ runId: string; programmeId: string; quarter: string; state: string }>(
            `SELECT id AS "runId", programme_id AS "programmeId", quarter, state FROM settlement.runs
              WHERE publicity_calendar @> $1::jsonb ORDER BY published_on, programme_id`,
            [JSON.stringify([{ year: data.year, version: current.version }])],
          )
        : [];
      await work.audit({
        action: current ? 'calendar.corrected' : 'calendar.loaded',
        entityType: 'calendar_year',
        entityId: String(data.year),
        reason: dto.reason ?? null,
        data: {
          version,
          supersedes: current?.version ?? null,
          notice: data.notice,
          testFixture: data.testFixture,
          digest,
          holidays: data.holidays.length,
          workdays: data.workdays.length,
          runsCountedOnSupersededVersion: countedOnEarlier.map((r) => r.runId),
        },
      });
      const stored = (await findCalendarYear(work.tx, data.year))!;
      return { loaded: true, year: calendarSummaryView(stored), ...(countedOnEarlier.length ? { runsCountedOnSupersededVersion: countedOnEarlier } : {}) };
    });
  }
}
