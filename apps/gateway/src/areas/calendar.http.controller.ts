import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CalendarLoadView, CalendarYearQueryDto, CalendarYearsView, CalendarYearView, ListCalendarYearsDto, LoadCalendarYearDto, Subjects } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { ApiOp } from '../http/api-operation';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.settlement;

/** A path or query year: digits become a number for the DTO; anything else is passed on and refused there by name. */
function year(value: string | undefined): unknown {
  return value !== undefined && /^\d{1,4}$/.test(value) ? Number(value) : value;
}

/**
 * The working-day calendar (SPEC 3), kept by the settlement service as operations data: a delta
 * operator loads each year's State Council schedule; anyone signed in reads it.
 */
@ApiTags('calendar')
@Controller('v1/calendar')
export class CalendarHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Get('years')
  @ApiOp({
    id: 'listCalendarYears',
    summary: 'The loaded years (current versions; ?history=true for every version) and whether this and next year are loaded',
    query: ListCalendarYearsDto,
    reply: CalendarYearsView,
  })
  listCalendarYears(@Req() req: AuthedRequest, @Query('history') history?: string) {
    return this.fwd.call(req, S.calendarList, history === undefined ? {} : { history: history === 'true' ? true : history === 'false' ? false : history });
  }

  @Get('years/:year')
  @ApiOp({
    id: 'getCalendarYear',
    summary: "One year's schedule, every date written out (?version=N for an earlier one)",
    query: { dto: CalendarYearQueryDto, omit: ['year'] },
    reply: CalendarYearView,
    refusals: [ErrorCode.NOT_FOUND, ErrorCode.CALENDAR_YEAR_MISSING],
  })
  getCalendarYear(@Req() req: AuthedRequest, @Param('year') y: string, @Query('version') version?: string) {
    return this.fwd.call(req, S.calendarGet, { year: year(y), ...(version === undefined ? {} : { version: year(version) }) });
  }

  @Put('years/:year')
  @ApiOp({
    id: 'loadCalendarYear',
    summary: "Load a year's schedule from the State Council's notice (delta operator); a correction names the version it supersedes and a reason",
    body: { dto: LoadCalendarYearDto, omit: ['year'], name: 'LoadCalendarYearBody' },
    example: {
      notice: { title: '国务院办公厅关于2027年部分节假日安排的通知', number: '国办发明电〔2026〕N号', publishedOn: '2026-11-10' },
      holidays: ['2027-01-01', '2027-02-06/2027-02-13'],
      workdays: ['2027-02-14'],
    },
    reply: CalendarLoadView,
    idempotency: 'required',
    refusals: [ErrorCode.ALREADY_EXISTS, ErrorCode.ILLEGAL_STATE],
  })
  loadCalendarYear(@Req() req: AuthedRequest, @Param('year') y: string, @Body() body: Record<string, unknown>) {
    // The year of the path is the file's: a file of another year is refused by name, never loaded under the path's year.
    const pathYear = year(y);
    const fileYear = body && typeof body === 'object' ? body.year : undefined;
    if (fileYear !== undefined && fileYear !== pathYear) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'year', message: `the file is for ${String(fileYear)}, the path names ${y}` });
    }
    return this.fwd.call(req, S.calendarLoad, { ...body, year: pathYear });
  }
}
