import { parseDecimalRatio, ratioToDecimalString } from '@vc/domain';

const MAX_SCALE = 4;

/**
 * The canonical text of a region's matching ratio (SPEC 3): exact, never a float, at least two
 * decimals and no trailing zeros beyond them ('1' → '1.00', '0.5' → '0.50', '1.2500' → '1.25',
 * '1.2345' → '1.2345'). Used for input and for the numeric column read back from PostgreSQL, so
 * events and replies always carry the same text for the same ratio.
 */
export function canonicalMatchingRatio(text: string): string {
  const ratio = parseDecimalRatio(text);
  const exact = ratioToDecimalString(ratio, MAX_SCALE);
  if (ratioToDecimalString(ratio, MAX_SCALE + 6) !== `${exact}000000`) {
    throw new RangeError(`a matching ratio has at most ${MAX_SCALE} decimals: ${text}`);
  }
  return exact.replace(/(\.\d\d\d*?)0+$/, '$1');
}

/** A linked region commits to match the voucher from local funds; a ratio of zero matches nothing. */
export function isPositiveRatio(text: string): boolean {
  return parseDecimalRatio(text).num > 0n;
}
