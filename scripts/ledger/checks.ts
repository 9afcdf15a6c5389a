/**
 * R-LEDGER-1: the identities that must hold at any moment. Each check is a query returning the rows
 * that differ (empty = holds); a check whose schema or table does not exist yet is skipped.
 */
export interface LedgerCheck {
  name: string;
  /** tables (schema.table) and columns (schema.table.column) the check needs */
  needs: string[];
  /** the query, or a function of what the database has (a check written for a schema some migrations older or newer) */
  sql: string | ((has: (tableOrColumn: string) => boolean) => string);
}

/** A run's own payment instructions: all of them before migration 1764000000412, its own (not the reissues of earlier runs') after. */
const ownInstructions = (has: (t: string) => boolean) =>
  has('settlement.instructions.kind') ? `(SELECT * FROM settlement.instructions WHERE kind = 'run')` : 'settlement.instructions';

export const LEDGER_CHECKS: LedgerCheck[] = [
  {
    name: 'issuance: programme budget = Σ budget_set ledger entries',
    needs: ['issuance.programmes', 'issuance.ledger_entries'],
    sql: `SELECT p.id AS programme, v.budget_fen AS expected, COALESCE(l.total, 0) AS actual
            FROM issuance.programmes p
            JOIN issuance.programme_versions v ON v.programme_id = p.id AND v.version = p.current_version
            LEFT JOIN (SELECT programme_id, sum(amount_fen) AS total FROM issuance.ledger_entries WHERE entry_type = 'budget_set' GROUP BY 1) l
                   ON l.programme_id = p.id
           WHERE p.status <> 'draft' AND v.budget_fen <> COALESCE(l.total, 0)`,
  },
  {
    name: 'issuance: quota claimed = Σ claims = Σ quota_claimed ledger entries, ≤ cap (per enterprise and programme)',
    needs: ['issuance.quota_years', 'issuance.quota_claims', 'issuance.ledger_entries'],
    sql: `SELECT q.enterprise_id AS enterprise, q.programme_id AS programme, q.claimed_fen AS claimed, c.total AS claims, l.total AS ledger, q.cap_fen AS cap
            FROM issuance.quota_years q
            LEFT JOIN (SELECT enterprise_id, programme_id, sum(amount_fen) AS total FROM issuance.quota_claims GROUP BY 1, 2) c
                   USING (enterprise_id, programme_id)
            LEFT JOIN (SELECT enterprise_id, programme_id, sum(amount_fen) AS total FROM issuance.ledger_entries WHERE entry_type = 'quota_claimed' GROUP BY 1, 2) l
                   USING (enterprise_id, programme_id)
           WHERE q.claimed_fen <> COALESCE(c.total, 0) OR q.claimed_fen <> COALESCE(l.total, 0) OR q.claimed_fen > q.cap_fen`,
  },
  {
    name: 'redemption: budget left = credited − taken + returned (per programme, from the ledger)',
    needs: ['redemption.budget_identity'],
    sql: `SELECT programme_id AS programme, left_fen AS balance, ledger_left_fen AS ledger FROM redemption.budget_identity WHERE left_fen <> ledger_left_fen`,
  },
  {
    name: 'redemption: quota left = granted − used + returned − lapsed (per enterprise and programme)',
    needs: ['redemption.quota_identity'],
    sql: `SELECT enterprise_id AS enterprise, programme_id AS programme, left_fen AS balance, ledger_left_fen AS ledger
            FROM redemption.quota_identity WHERE left_fen <> ledger_left_fen`,
  },
  {
    name: 'budget = taken + left: the budget issuance set is the budget redemption holds (per open programme)',
    needs: ['issuance.programmes', 'issuance.ledger_entries', 'redemption.programme_budget'],
    sql: `SELECT i.programme_id AS programme, i.total AS issuance_budget, COALESCE(r.credited_fen, 0) AS redemption_credited
            FROM (SELECT programme_id, sum(amount_fen) AS total FROM issuance.ledger_entries WHERE entry_type = 'budget_set' GROUP BY 1) i
            LEFT JOIN redemption.programme_budget r USING (programme_id)
           WHERE i.total <> COALESCE(r.credited_fen, 0)`,
  },
  {
    name: 'quota claimed = used + left + lapsed: every claim issuance accepted is granted in redemption (per enterprise and programme)',
    needs: ['issuance.quota_years', 'redemption.quota_balance'],
    sql: `SELECT q.enterprise_id AS enterprise, q.programme_id AS programme, q.claimed_fen AS claimed, COALESCE(r.granted_fen, 0) AS granted,
                 r.left_fen AS left, r.lapsed_fen AS lapsed
            FROM issuance.quota_years q
            LEFT JOIN redemption.quota_balance r USING (enterprise_id, programme_id)
           WHERE q.claimed_fen <> COALESCE(r.granted_fen, 0)`,
  },
  {
    name: 'quota used: Σ voucher of paid orders = quota taken − returned (per enterprise and programme)',
    needs: ['redemption.orders', 'redemption.ledger_entries'],
    sql: `WITH used AS (
            SELECT enterprise_id, programme_id,
                   sum(CASE entry_type WHEN 'quota_taken' THEN amount_fen ELSE -amount_fen END) AS ledger
              FROM redemption.ledger_entries WHERE entry_type IN ('quota_taken', 'quota_returned') GROUP BY 1, 2),
          orders AS (
            SELECT enterprise_id, programme_id, sum(voucher_fen) AS vouchers
              FROM redemption.orders WHERE status IN ('paid', 'completed') GROUP BY 1, 2)
          SELECT COALESCE(u.enterprise_id, o.enterprise_id) AS enterprise, COALESCE(u.programme_id, o.programme_id) AS programme,
                 COALESCE(u.ledger, 0) AS ledger_used, COALESCE(o.vouchers, 0) AS order_vouchers
            FROM used u FULL JOIN orders o ON o.enterprise_id = u.enterprise_id AND o.programme_id = u.programme_id
           WHERE COALESCE(u.ledger, 0) <> COALESCE(o.vouchers, 0)`,
  },
  {
    // A run disbursing has written its instructions and not yet paid: they sum the claims it is paying.
    name: 'paid = Σ instructions: the instructions of each run sum its paid claims, or while it is disbursing the approved ones (per run and payee; a reissue pays an earlier instruction again and is not counted here)',
    needs: ['settlement.instructions', 'settlement.claims_current'],
    sql: (has) => `WITH paid AS (
            SELECT run_id, payee_type, payee_id, count(*) AS n, sum(voucher_fen) AS total
              FROM settlement.claims_current
             WHERE state = 'paid' OR (state = 'approved' AND run_id IN (SELECT id FROM settlement.runs WHERE state = 'disbursing'))
             GROUP BY 1, 2, 3)
          SELECT COALESCE(i.run_id, p.run_id) AS run, COALESCE(i.payee_id, p.payee_id) AS payee,
                 i.total_fen AS instruction, p.total AS paid_claims, i.claim_count AS instruction_claims, p.n AS paid_count
            FROM ${ownInstructions(has)} i
            FULL JOIN paid p ON p.run_id = i.run_id AND p.payee_type = i.payee_type AND p.payee_id = i.payee_id
           WHERE i.total_fen IS DISTINCT FROM p.total OR i.claim_count IS DISTINCT FROM p.n::int`,
  },
  {
    name: 'run review counters = claims in review: each run counts the claims it holds in review, and the sampled ones among them',
    needs: ['settlement.runs.in_review_count', 'settlement.runs.sampled_in_review_count', 'settlement.claims_current'],
    sql: `SELECT r.id AS run, r.in_review_count AS counted, COALESCE(c.n, 0) AS in_review, r.sampled_in_review_count AS counted_sampled, COALESCE(c.sampled, 0) AS sampled
            FROM settlement.runs r
            LEFT JOIN (SELECT run_id, count(*)::int AS n, count(*) FILTER (WHERE sampled)::int AS sampled
                         FROM settlement.claims_current WHERE state = 'in_review' AND run_id IS NOT NULL GROUP BY run_id) c ON c.run_id = r.id
           WHERE r.in_review_count <> COALESCE(c.n, 0) OR r.sampled_in_review_count <> COALESCE(c.sampled, 0)`,
  },
  {
    name: 'run state counters = claims by state: each run counts its approved, held, rejected and paid claims and their V',
    needs: ['settlement.runs.approved_count', 'settlement.runs.paid_fen', 'settlement.claims_current'],
    sql: `SELECT r.id AS run,
                 jsonb_build_object('approved', r.approved_count, 'held', r.held_count, 'rejected', r.rejected_count, 'paid', r.paid_count,
                   'approvedFen', r.approved_fen, 'heldFen', r.held_fen, 'rejectedFen', r.rejected_fen, 'paidFen', r.paid_fen) AS counted,
                 to_jsonb(c) - 'run_id' AS claims
            FROM settlement.runs r
            LEFT JOIN (SELECT run_id,
                              count(*) FILTER (WHERE state = 'approved')::int AS approved, count(*) FILTER (WHERE state = 'held')::int AS held,
                              count(*) FILTER (WHERE state = 'rejected')::int AS rejected, count(*) FILTER (WHERE state = 'paid')::int AS paid,
                              COALESCE(sum(voucher_fen) FILTER (WHERE state = 'approved'), 0)::bigint AS "approvedFen",
                              COALESCE(sum(voucher_fen) FILTER (WHERE state = 'held'), 0)::bigint AS "heldFen",
                              COALESCE(sum(voucher_fen) FILTER (WHERE state = 'rejected'), 0)::bigint AS "rejectedFen",
                              COALESCE(sum(voucher_fen) FILTER (WHERE state = 'paid'), 0)::bigint AS "paidFen"
                         FROM settlement.claims_current WHERE run_id IS NOT NULL GROUP BY run_id) c ON c.run_id = r.id
           WHERE (r.approved_count, r.held_count, r.rejected_count, r.paid_count, r.approved_fen, r.held_fen, r.rejected_fen, r.paid_fen)
                 IS DISTINCT FROM (COALESCE(c.approved, 0), COALESCE(c.held, 0), COALESCE(c.rejected, 0), COALESCE(c.paid, 0),
                                   COALESCE(c."approvedFen", 0), COALESCE(c."heldFen", 0), COALESCE(c."rejectedFen", 0), COALESCE(c."paidFen", 0))`,
  },
  {
    // The statement is written with the payment: a run disbursing has instructions and no statement yet.
    name: 'statement = instructions: the cross-province statement of each paid run totals its instructions (R-CLEAR-1)',
    needs: ['settlement.instructions', 'settlement.statement_lines'],
    sql: (has) => `SELECT COALESCE(i.run_id, s.run_id) AS run, i.total AS instructions, s.total AS statement
            FROM (SELECT run_id, sum(total_fen) AS total FROM ${ownInstructions(has)} x GROUP BY 1) i
            FULL JOIN (SELECT run_id, sum(total_fen) AS total FROM settlement.statement_lines GROUP BY 1) s USING (run_id)
           WHERE i.total IS DISTINCT FROM s.total
             AND COALESCE(i.run_id, s.run_id) NOT IN (SELECT id FROM settlement.runs WHERE state = 'disbursing')`,
  },
  {
    name: 'matching owed = Σ floor(V × ratio) over the paid claims, recomputed in numeric, per run, enterprise and region (R-MATCH-1)',
    needs: ['settlement.matching_obligations', 'settlement.claims_current'],
    sql: `WITH o AS (
            SELECT run_id, enterprise_id, region_id, max(matching_ratio) AS ratio, sum(amount_fen) AS owed
              FROM settlement.matching_obligations GROUP BY 1, 2, 3),
          e AS (
            SELECT c.run_id, c.enterprise_id, c.region_id, sum(floor(c.voucher_fen * o.ratio)) AS expected
              FROM settlement.claims_current c LEFT JOIN o USING (run_id, enterprise_id, region_id)
             WHERE c.state = 'paid' GROUP BY 1, 2, 3)
          SELECT run_id AS run, enterprise_id AS enterprise, region_id AS region, o.owed, e.expected
            FROM o FULL JOIN e USING (run_id, enterprise_id, region_id)
           WHERE o.owed IS NULL OR e.expected IS NULL OR o.owed <> e.expected`,
  },
  {
    // A returned or held instruction's money waits until a later run pays it again (a reissue); so
    // what a programme's runs instructed is, at any moment, settled, outstanding, or waiting.
    name: "instructed = settled + returned + outstanding: per programme, what its runs instructed is settled, outstanding at the bank, or returned (or held, no account) and waiting for the payee's bank details",
    needs: ['settlement.instructions.bank_status', 'settlement.instructions.reissue_of'],
    sql: `SELECT programme_id AS programme, instructed, settled, outstanding, waiting
            FROM (SELECT i.programme_id,
                         COALESCE(sum(i.total_fen) FILTER (WHERE i.kind = 'run'), 0) AS instructed,
                         COALESCE(sum(i.total_fen) FILTER (WHERE i.bank_status = 'settled'), 0) AS settled,
                         COALESCE(sum(i.total_fen) FILTER (WHERE i.bank_status = 'outstanding'), 0) AS outstanding,
                         COALESCE(sum(i.total_fen) FILTER (WHERE i.bank_status IN ('returned', 'held')
                                  AND NOT EXISTS (SELECT 1 FROM settlement.instructions r WHERE r.reissue_of = i.id)), 0) AS waiting
                    FROM settlement.instructions i GROUP BY i.programme_id) x
           WHERE instructed <> settled + outstanding + waiting`,
  },
  {
    name: 'nothing paid twice: each payment is paid again at most once and only after it came back; a reissue carries its payee, claims and fen; at most one payment of each is settled or outstanding',
    needs: ['settlement.instructions.origin_id', 'settlement.instructions.reissue_of'],
    sql: `SELECT i.origin_id AS origin, count(*)::int AS payments,
                 count(*) FILTER (WHERE i.bank_status IN ('settled', 'outstanding'))::int AS live,
                 count(*) FILTER (WHERE i.kind = 'reissue' AND p.bank_status NOT IN ('returned', 'held'))::int AS reissued_unreturned,
                 bool_and(i.total_fen = o.total_fen AND i.claim_count = o.claim_count AND i.payee_type = o.payee_type AND i.payee_id = o.payee_id) AS same
            FROM settlement.instructions i
            JOIN settlement.instructions o ON o.id = i.origin_id
            LEFT JOIN settlement.instructions p ON p.id = i.reissue_of
           GROUP BY i.origin_id
          HAVING count(*) FILTER (WHERE i.bank_status IN ('settled', 'outstanding')) > 1
              OR count(*) FILTER (WHERE i.kind = 'reissue' AND p.bank_status NOT IN ('returned', 'held')) > 0
              OR NOT bool_and(i.total_fen = o.total_fen AND i.claim_count = o.claim_count AND i.payee_type = o.payee_type AND i.payee_id = o.payee_id)`,
  },
  {
    name: "bank answers = instruction states: a settled or returned instruction is so by the last bank answer applied to it; an outstanding or held one has had none",
    needs: ['settlement.bank_report_entries', 'settlement.bank_reports.seq', 'settlement.instructions.bank_status'],
    sql: `WITH last AS (
            SELECT DISTINCT ON (e.instruction_id) e.instruction_id, e.status
              FROM settlement.bank_report_entries e JOIN settlement.bank_reports r ON r.id = e.report_id
             WHERE e.outcome = 'applied' ORDER BY e.instruction_id, r.seq DESC, e.line DESC)
          SELECT i.id AS instruction, i.bank_status, l.status AS last_answer
            FROM settlement.instructions i LEFT JOIN last l ON l.instruction_id = i.id
           WHERE (i.bank_status IN ('settled', 'returned') AND l.status IS DISTINCT FROM i.bank_status)
              OR (i.bank_status IN ('outstanding', 'held') AND l.status IS NOT NULL)`,
  },
  {
    name: 'flags applied: every claim with a duplicate-invoice flag recorded against it is marked flagged, for inspection (R-CLAIM-2)',
    needs: ['settlement.claim_flags', 'settlement.claims.flagged'],
    sql: `SELECT c.claim_id AS claim, c.state, count(f.flag_id)::int AS flags
            FROM settlement.claims c JOIN settlement.claim_flags f ON f.claim_id = c.claim_id
           WHERE NOT c.flagged GROUP BY c.claim_id, c.state`,
  },
  {
    name: 'matching paid = Σ matching payments: each obligation records what its region paid, never more than it owes (R-MATCH-1)',
    needs: ['settlement.matching_obligations', 'settlement.matching_payments'],
    sql: `SELECT o.id AS obligation, o.region_id AS region, o.paid_fen AS recorded, COALESCE(p.total, 0) AS payments, o.amount_fen AS owed
            FROM settlement.matching_obligations o
            LEFT JOIN (SELECT obligation_id, sum(amount_fen) AS total FROM settlement.matching_payments GROUP BY 1) p ON p.obligation_id = o.id
           WHERE o.paid_fen <> COALESCE(p.total, 0) OR COALESCE(p.total, 0) > o.amount_fen`,
  },
  {
    // Settlement's copy of a claim comes from redemption's events; a copy changed by anything else
    // (a forged event, a hand edit) pays the wrong payee or amount. Both must hold the same claim.
    name: "settlement's claim = redemption's claim: every claim settlement holds exists in redemption with the same programme, payee and V",
    needs: ['settlement.claims', 'redemption.claims'],
    sql: `SELECT s.claim_id AS claim, s.programme_id AS programme,
                 CASE WHEN r.id IS NULL THEN 'missing in redemption' ELSE 'differs' END AS difference,
                 s.payee_type || ':' || s.payee_id || ' ' || s.voucher_fen AS settlement,
                 r.payee_type || ':' || r.payee_id || ' ' || r.voucher_fen AS redemption
            FROM settlement.claims s LEFT JOIN redemption.claims r ON r.id = s.claim_id
           WHERE r.id IS NULL OR r.programme_id <> s.programme_id OR r.payee_type <> s.payee_type OR r.payee_id <> s.payee_id OR r.voucher_fen <> s.voucher_fen`,
  },
  {
    name: "decisions reached redemption: a claim settlement approved, rejected or returned has that status in redemption (or paid)",
    needs: ['settlement.claims_current', 'redemption.claims'],
    sql: `SELECT s.claim_id AS claim, s.state AS settlement_state, r.status AS redemption_status
            FROM settlement.claims_current s JOIN redemption.claims r ON r.id = s.claim_id
           WHERE (s.state = 'approved' AND r.status NOT IN ('approved', 'paid'))
              OR (s.state = 'rejected' AND r.status <> 'rejected')
              OR (s.state = 'returned' AND r.status NOT IN ('returned', 'pending_review'))`,
  },
  {
    name: 'payments reached redemption: every claim settlement paid is paid in redemption',
    needs: ['settlement.claims_current', 'redemption.claims'],
    sql: `SELECT s.claim_id AS claim, s.state AS settlement_state, r.status AS redemption_status
            FROM settlement.claims_current s LEFT JOIN redemption.claims r ON r.id = s.claim_id
           WHERE s.state = 'paid' AND r.status IS DISTINCT FROM 'paid'`,
  },
];
