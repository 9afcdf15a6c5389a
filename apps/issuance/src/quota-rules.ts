import { Fen, endOfShanghaiYear, shanghaiYear } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';

/** One programme per province and year (R-PROG-1 versions live inside it). */
export function programmeIdOf(province: string, year: number): string {
  return `${province}-${year}`;
}

/**
 * R-QUOTA-2: quota is claimed for the current year in Asia/Shanghai and is valid until its end;
 * a claim naming another year is refused (a past year has lapsed, a future one has not begun).
 */
export function claimYear(now: Date, requested?: number): number {
  const current = shanghaiYear(now);
  if (requested !== undefined && requested !== current) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, {
      field: 'year',
      message: `quota is claimed for the current year ${current} (Asia/Shanghai), not ${requested}; unused quota lapses at year end`,
    });
  }
  return current;
}

/** What may still be claimed; never negative when a later version lowered the cap below the claims. */
export function remainingCap(capFen: Fen, claimedFen: Fen): Fen {
  return capFen > claimedFen ? capFen - claimedFen : 0n;
}

/** R-QUOTA-2: the exclusive end of validity, 00:00 of 1 January of the next year in Shanghai. */
export function quotaValidUntil(year: number): string {
  return endOfShanghaiYear(year).toISOString();
}
