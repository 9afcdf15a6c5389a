import { SETTLEMENT_CLAIMS_PER_EVENT, SETTLEMENT_DETAILED_DECISIONS } from '@vc/contracts';
import { Tx } from '@vc/database';
import { currentCorrelationId } from '@vc/logging';
import { RunRow } from './runs';

/** Builders of the set-wise statements of a run (events of many claims, statement lines) and the settings of bulk transactions. */

/**
 * A run's set-wise statements sort and group up to millions of claims (chunked events, per-payee
 * and per-provider totals); with PostgreSQL's default work_mem they spill to disk as external
 * merges. They may also run for minutes (10 million claims), past the statement timeout meant for
 * requests (DB_STATEMENT_TIMEOUT_MS). The settings last for this transaction only.
 */
export async function useBulkMemory(tx: Tx): Promise<void> {
  await tx.query(`SET LOCAL work_mem = '256MB'`);
  await tx.query(`SET LOCAL statement_timeout = 0`);
}

/**
 * After a step moved a whole run's claims (collection; approval and payment no longer move them,
 * ADR 0008), the planner's statistics still say
 * none are in that state, and the statements that follow would sort millions of rows it expects
 * to be one. ANALYZE of the two columns a run changes samples a fixed number of rows (3,000 at
 * their statistics target, migration 1764000000405) and, inside the transaction, sees its own
 * changes.
 */
export async function refreshClaimStatistics(tx: Tx): Promise<void> {
  await tx.query(`ANALYZE settlement.claims (run_id, state)`);
}

/** SQL string literal (for constants and validated ids only). */
export function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Outbox rows for a set of claims in one statement (set-wise: a run may hold millions of claims):
 * one event per chunk of SETTLEMENT_CLAIMS_PER_EVENT claims, so a million claims make a thousand
 * events. `source` is a CTE of the run's claims yielding claim_id and, for the decisions that name
 * them (SETTLEMENT_DETAILED_DECISIONS: rejected, returned), order_id, voucher_fen and
 * decision_reason; the envelope is the one `addToOutbox` writes (EventEnvelope with a
 * SettlementClaimsEvent payload), its aggregate the run.
 */
export function claimEventsInsert(source: string, subject: string, run: { id: string; programme_id: string }, occurredAt: Date): string {
  const correlation = currentCorrelationId();
  // Rejected and returned name each claim's order, V and reason; approved and paid the claims alone.
  const detailed = SETTLEMENT_DETAILED_DECISIONS.includes(subject);
  const columns = detailed ? 's.claim_id, s.order_id, s.voucher_fen, s.decision_reason' : 's.claim_id';
  const arrays = detailed
    ? `, to_jsonb(array_agg(c.order_id)) AS order_ids, to_jsonb(array_agg(c.voucher_fen::text)) AS voucher_fen, to_jsonb(array_agg(c.decision_reason)) AS reasons`
    : '';
  const payloadArrays = detailed ? `, 'orderIds', e.order_ids, 'voucherFen', e.voucher_fen, 'reasons', e.reasons` : '';
  // The chunks are numbered in one pass and grouped by their number alone (a run's claims are all of
  // its programme), so the planner hashes the groups instead of sorting a million rows by chunk.
  // The events are not sorted either: each names its own claims and is applied on its own, and
  // sorting 10,000 chunks of 1,000 ids (10 M claims) took 400 MB of disk. The arrays go straight
  // to jsonb: no JSON text is built and parsed again, which for a million claims is seconds.
  return `INSERT INTO settlement.outbox (event_id, subject, aggregate_type, aggregate_id, envelope)
    SELECT e.eid, ${lit(subject)}, 'run', ${lit(run.id)},
           jsonb_build_object('id', e.eid, 'type', ${lit(subject)}, 'aggregateType', 'run', 'aggregateId', ${lit(run.id)},
             'occurredAt', ${lit(occurredAt.toISOString())},
             'payload', jsonb_build_object('runId', ${lit(run.id)}, 'programmeId', ${lit(run.programme_id)}, 'claimIds', e.claim_ids${payloadArrays}))
           ${correlation ? `|| jsonb_build_object('correlationId', ${lit(correlation)})` : ''}
      FROM (SELECT gen_random_uuid() AS eid, to_jsonb(array_agg(c.claim_id)) AS claim_ids${arrays}
              FROM (SELECT ${columns}, (row_number() OVER () - 1) / ${SETTLEMENT_CLAIMS_PER_EVENT} AS chunk FROM ${source} s) c
             GROUP BY c.chunk) e`;
}

/**
 * The cross-province statement lines of a run, one per provider (R-CLEAR-1), inserted from
 * `source`: the run's paid claims (a CTE of the claims being paid, or a subquery over
 * settlement.claims_current). Lines already written are kept (unique per run and provider). Yields the
 * inserted lines' total_fen.
 */
export function statementLinesInsert(source: string, run: Pick<RunRow, 'id' | 'programme_id' | 'province' | 'quarter'>): string {
  return `INSERT INTO settlement.statement_lines (run_id, programme_id, issuing_province, quarter, provider_province, provider_id, provider_name,
           provider_credit_code, claim_count, total_fen, amount_fen)
    SELECT ${lit(run.id)}::uuid, ${lit(run.programme_id)}, ${lit(run.province)}, ${lit(run.quarter)}, max(s.provider_province), s.provider_id,
           max(s.provider_name), max(s.provider_credit_code), count(*), sum(s.voucher_fen), sum(s.amount_fen)
      FROM ${source} s
     GROUP BY s.provider_id
    ON CONFLICT (run_id, provider_id) DO NOTHING
    RETURNING total_fen`;
}
