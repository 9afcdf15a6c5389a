import { CountFen, InstructionView, RunPaymentsView } from '@vc/contracts';
import { queryRows, Tx } from '@vc/database';

/**
 * A payment instruction's reference in the bank's files: its id without hyphens (32 hex digits),
 * the pain.001 EndToEndId and InstrId (Max35Text holds no uuid with hyphens).
 */
export function endToEndId(instructionId: string): string {
  return instructionId.replace(/-/g, '');
}

/** The instruction id a bank file's reference names, or null when it is none of ours. */
export function instructionIdOf(reference: string | null | undefined): string | null {
  const hex = typeof reference === 'string' ? reference.trim().toLowerCase() : '';
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Columns of InstructionView from settlement.instructions. */
export const INSTRUCTION_VIEW_COLUMNS = `id, run_id AS "runId", programme_id AS "programmeId", payee_type AS "payeeType", payee_id AS "payeeId",
  payee_name AS "payeeName", claim_count AS "claimCount", total_fen AS "totalFen", created_at AS "createdAt", kind, reissue_of AS "reissueOf",
  replace(id::text, '-', '') AS "endToEndId", account_version AS "accountVersion", bank_status AS "bankStatus",
  bank_reason_code AS "bankReasonCode", bank_reason AS "bankReason", bank_status_at AS "bankStatusAt"`;

export type InstructionRow = InstructionView;

const cf = (count: number, fen: bigint): CountFen => ({ count, fen });

/**
 * A run's payment instructions by bank status, from its own rows (one per payee and reissue: a
 * few thousand at most): what was instructed, settled, returned, held and is still outstanding;
 * the reissues it made for earlier runs; and of its own returned or held ones, which still wait for
 * the payee's details and which a later run has paid again. Null before its instructions exist.
 */
export async function runPayments(tx: Tx, runId: string): Promise<RunPaymentsView | null> {
  const [r] = await queryRows<Record<string, number | bigint>>(
    tx,
    `SELECT count(*)::int AS n, COALESCE(sum(total_fen), 0)::bigint AS fen,
            ${['settled', 'returned', 'held', 'outstanding']
              .map((s) => `count(*) FILTER (WHERE bank_status = '${s}')::int AS ${s}_n, COALESCE(sum(total_fen) FILTER (WHERE bank_status = '${s}'), 0)::bigint AS ${s}_fen`)
              .join(', ')},
            count(*) FILTER (WHERE kind = 'reissue')::int AS reissue_n, COALESCE(sum(total_fen) FILTER (WHERE kind = 'reissue'), 0)::bigint AS reissue_fen,
            count(*) FILTER (WHERE bank_status IN ('returned', 'held') AND NOT EXISTS (SELECT 1 FROM settlement.instructions r WHERE r.reissue_of = i.id))::int AS waiting_n,
            COALESCE(sum(total_fen) FILTER (WHERE bank_status IN ('returned', 'held') AND NOT EXISTS (SELECT 1 FROM settlement.instructions r WHERE r.reissue_of = i.id)), 0)::bigint AS waiting_fen,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM settlement.instructions r WHERE r.reissue_of = i.id))::int AS later_n,
            COALESCE(sum(total_fen) FILTER (WHERE EXISTS (SELECT 1 FROM settlement.instructions r WHERE r.reissue_of = i.id)), 0)::bigint AS later_fen
       FROM settlement.instructions i WHERE run_id = $1`,
    [runId],
  );
  if (!r || r.n === 0) return null;
  const n = (k: string) => Number(r[`${k}_n`]);
  const fen = (k: string) => BigInt(r[`${k}_fen`]);
  return {
    instructed: cf(Number(r.n), BigInt(r.fen)),
    settled: cf(n('settled'), fen('settled')),
    returned: cf(n('returned'), fen('returned')),
    held: cf(n('held'), fen('held')),
    outstanding: cf(n('outstanding'), fen('outstanding')),
    reissues: cf(n('reissue'), fen('reissue')),
    waitingForDetails: cf(n('waiting'), fen('waiting')),
    reissuedLater: cf(n('later'), fen('later')),
    reconciled: n('outstanding') === 0,
  };
}
