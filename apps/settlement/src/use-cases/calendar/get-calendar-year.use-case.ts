import { Injectable } from '@nestjs/common';
import { CalendarYearQueryDto, CalendarYearView, Principal } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { calendarYearView, findCalendarYear } from '../../calendar/calendar.sql';

/** One year's schedule with every date (its current version, or the one asked for). */
@Injectable()
export class GetCalendarYearUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(_principal: Principal, dto: CalendarYearQueryDto): Promise<CalendarYearView> {
    const row = await findCalendarYear(this.uow.ds.manager, dto.year, dto.version);
    if (!row) {
      throw new DomainError(dto.version === undefined ? ErrorCode.CALENDAR_YEAR_MISSING : ErrorCode.NOT_FOUND, {
        field: dto.version === undefined ? 'year' : 'version',
        message: dto.version === undefined ? `no working-day calendar for ${dto.year} is loaded` : `${dto.year} has no version ${dto.version}`,
        details: { year: dto.year },
      });
    }
    return calendarYearView(row);
  }
}
