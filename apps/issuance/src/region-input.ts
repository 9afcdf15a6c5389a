import { DomainError, ErrorCode } from '@vc/errors';
import { canonicalMatchingRatio, isPositiveRatio } from './matching-ratio';

/** A matching ratio from a request, canonical and positive, or a VALIDATION_FAILED naming the field. */
export function matchingRatioOf(text: string): string {
  let ratio: string;
  try {
    ratio = canonicalMatchingRatio(text);
  } catch (e) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'matchingRatio', message: (e as Error).message });
  }
  if (!isPositiveRatio(ratio)) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'matchingRatio', message: 'a linked region matches with a ratio above zero' });
  return ratio;
}
