import { Type } from 'class-transformer';
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { ApiBool, ApiDate, ApiInstant, ApiInt, ApiText, ApiTexts, ApiUuid, ApiView } from './api-docs';

/**
 * The working-day calendar as operations data (SPEC 3): a year's State Council schedule as a delta
 * operator loads it. The DTO checks the shape; the rules of a schedule (every date inside the year,
 * no day both a holiday and a make-up working day, make-up days on weekends) are checked by
 * libs/domain `parseCalendarYear`, which names the offending entry (e.g. `workdays[2]`).
 */
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export class CalendarNoticeDto {
  /** e.g. 国务院办公厅关于2027年部分节假日安排的通知 */
  @IsString() @Length(1, 200) title: string;
  /** the document number, e.g. 国办发明电〔2026〕N号 */
  @IsString() @Length(1, 100) number: string;
  @IsString() @Matches(DATE_PATTERN, { message: 'publishedOn must be a date (YYYY-MM-DD)' }) publishedOn: string;
}

export class LoadCalendarYearDto {
  @IsInt() @Min(2020) @Max(2100) year: number;
  @ValidateNested() @Type(() => CalendarNoticeDto) notice: CalendarNoticeDto;
  /** a made-up year for tests, never an official schedule (refused in production) */
  @IsOptional() @IsBoolean() testFixture?: boolean;
  /** dates, or ranges as the notice gives them: "2027-02-06/2027-02-13" */
  @IsArray() @ArrayMaxSize(366) @IsString({ each: true }) holidays: string[];
  /** make-up working days (调休上班), on Saturdays or Sundays */
  @IsOptional() @IsArray() @ArrayMaxSize(366) @IsString({ each: true }) workdays?: string[];
  /** a correction names the version it supersedes (the year's current one) and says why */
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) supersedes?: number;
  @IsOptional() @IsString() @Length(1, 500) reason?: string;
}

export class CalendarYearQueryDto {
  @IsInt() @Min(2020) @Max(2100) year: number;
  /** a version of the year's history; the current one by default */
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) version?: number;
}

export class ListCalendarYearsDto {
  /** every version, superseded ones included (default: the current version of each year) */
  @IsOptional() @IsBoolean() history?: boolean;
}

// ---- views (replies) -----------------------------------------------------------------------

export class CalendarNoticeView {
  @ApiText() title: string;
  @ApiText() number: string;
  @ApiDate() publishedOn: string;
}

export class CalendarLoaderView {
  @ApiText() sub: string;
  @ApiText() role: string;
  @ApiText() org: string;
}

export class CalendarYearSummaryView {
  @ApiInt() year: number;
  @ApiInt() version: number;
  @ApiBool({ description: "the year's version in force" }) current: boolean;
  @ApiView(CalendarNoticeView) notice: { title: string; number: string; publishedOn: string };
  @ApiBool({ description: 'a made-up year for tests, never an official schedule' }) testFixture: boolean;
  @ApiInt() holidayCount: number;
  @ApiInt() workdayCount: number;
  @ApiText({ description: 'digest of the schedule' }) digest: string;
  @ApiInt({ nullable: true, description: 'the version this one corrects' }) supersedes: number | null;
  @ApiText({ nullable: true }) reason: string | null;
  @ApiView(CalendarLoaderView) loadedBy: { sub: string; role: string; org: string };
  @ApiInstant() loadedAt: string;
}

export class CalendarYearView extends CalendarYearSummaryView {
  @ApiProperty({ type: 'string', format: 'date', isArray: true, description: 'every holiday (休息日) of the notice, written out' }) holidays: string[];
  @ApiProperty({ type: 'string', format: 'date', isArray: true, description: 'make-up working days (调休上班)' }) workdays: string[];
}

/**
 * Whether the years the business clock needs are loaded: this year (publicity windows are counted
 * in it) and, from 1 November (Asia/Shanghai), next year, which the notice published around then
 * brings and whose first run (the Q4 run, published in January) needs.
 */
export class CalendarStatusView {
  /** the business date, Asia/Shanghai */
  @ApiDate({ description: 'the business date, Asia/Shanghai' }) today: string;
  @ApiInt() currentYear: number;
  @ApiBool() currentYearLoaded: boolean;
  @ApiInt() nextYear: number;
  @ApiBool() nextYearLoaded: boolean;
  /** from this date on, a missing next year is warned of */
  @ApiDate({ description: 'from this date on, a missing next year is warned of' }) nextYearDueFrom: string;
  @ApiProperty({ type: 'integer', isArray: true }) loadedYears: number[];
  @ApiTexts() warnings: string[];
}

export class CalendarYearsView {
  @ApiView([CalendarYearSummaryView]) items: CalendarYearSummaryView[];
  @ApiView(CalendarStatusView) status: CalendarStatusView;
}

export class CalendarRunRefView {
  @ApiUuid() runId: string;
  @ApiText() programmeId: string;
  @ApiText() quarter: string;
  @ApiText() state: string;
}

export class CalendarLoadView {
  /** false when the same schedule from the same notice was already the year's current version */
  @ApiBool({ description: "false when the same schedule from the same notice was already the year's current version" }) loaded: boolean;
  @ApiView(CalendarYearSummaryView) year: CalendarYearSummaryView;
  /** on a correction: the runs whose publicity window was counted on the version it supersedes (their windows stand as published) */
  @ApiView([CalendarRunRefView], { required: false, description: 'on a correction: the runs whose publicity window was counted on the version it supersedes (their windows stand as published)' })
  runsCountedOnSupersededVersion?: Array<{ runId: string; programmeId: string; quarter: string; state: string }>;
}
