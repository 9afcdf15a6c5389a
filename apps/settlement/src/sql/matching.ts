
/** The matching arithmetic in SQL (R-MATCH-1): exact decimals, never floats. */

/**
 * R-MATCH-1, floor(V × ratio) per claim, in bigint arithmetic: a region's ratio has at most 6
 * decimals (numeric(12,6) here, numeric(8,4) in issuance) and is positive, so with
 * `ratioMicro(ratio)` = ratio × 10⁶ exactly, V × ratioMicro ÷ 10⁶ truncated is that floor, with no
 * numeric arithmetic per claim (a run may hold millions). Bigint holds it: V ≤ 10⁷ fen (the annual
 * cap) and ratio < 10⁴.
 */
export function ratioMicro(ratio: string): string {
  return `(${ratio} * 1000000)::bigint`;
}

export function matchingShare(voucherFen: string, ratioMicroValue: string): string {
  return `${voucherFen} * ${ratioMicroValue} / 1000000`;
}
