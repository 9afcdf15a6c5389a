import { Injectable } from '@nestjs/common';
import { CalendarStatusView, CalendarYearSummaryView, ListCalendarYearsDto, Principal } from '@vc/contracts';
import { Clock, UnitOfWork } from '@vc/platform';
import { calendarStatus, calendarSummaryView, listCalendarYears } from '../../calendar/calendar.sql';

/**
 * The loaded years of the working-day calendar (current versions, or every version with history)
 * and whether the business clock's year and, from 1 November, next year are loaded. Public
 * reference data: any authenticated principal may read it.
 */
@Injectable()
export class ListCalendarYearsUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(_principal: Principal, dto: ListCalendarYearsDto): Promise<{ items: CalendarYearSummaryView[]; status: CalendarStatusView }> {
    const rows = await listCalendarYears(this.uow.ds.manager, dto.history === true);
    const loaded = [...new Set(rows.map((r) => r.year))];
    return { items: rows.map(calendarSummaryView), status: calendarStatus(this.clock.now(), loaded) };
  }

  /** The status alone (readiness details, metrics). */
  async status(): Promise<CalendarStatusView> {
    const rows = await listCalendarYears(this.uow.ds.manager);
    return calendarStatus(this.clock.now(), rows.map((r) => r.year));
  }
}
