/**
 * R-LEDGER-1: the identities that must hold at any moment. Each check is a query returning the rows
 * that differ (empty = holds); a check whose schema or table does not exist yet is skipped.
 */
export interface LedgerCheck {
  name: string;
  /** tables the check needs, schema-qualified */
  needs: string[];
  sql: string;
}

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
];
