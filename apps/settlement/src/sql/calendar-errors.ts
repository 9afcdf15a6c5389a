import { CalendarYearMissingError } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';

/** A missing working-day calendar year as the refusal it is. */

/** The calendar has no loaded year the window needs: refuse, never guess (SPEC 3). */
export function calendarError(err: unknown): never {
  if (err instanceof CalendarYearMissingError) {
    throw new DomainError(ErrorCode.CALENDAR_YEAR_MISSING, { message: err.message, details: { year: err.year } });
  }
  throw err;
}
