import { Fen } from '@vc/domain';
import { Work } from '@vc/platform';

/**
 * R-LEDGER-1, issuance side: an append-only ledger (a trigger refuses UPDATE and DELETE). Its totals
 * are what the ledger check compares with redemption: Σ budget_set per programme = budget credited
 * there; Σ quota_claimed per enterprise-year = quota granted there.
 */
export async function recordBudget(work: Work, programmeId: string, amountFen: Fen, ref: string): Promise<void> {
  await work.query(`INSERT INTO issuance.ledger_entries (entry_type, programme_id, amount_fen, ref) VALUES ('budget_set', $1, $2, $3)`, [
    programmeId,
    amountFen.toString(),
    ref,
  ]);
}

export async function recordQuotaClaimed(work: Work, programmeId: string, enterpriseId: string, amountFen: Fen, claimId: string): Promise<void> {
  await work.query(
    `INSERT INTO issuance.ledger_entries (entry_type, programme_id, enterprise_id, amount_fen, ref) VALUES ('quota_claimed', $1, $2, $3, $4)`,
    [programmeId, enterpriseId, amountFen.toString(), claimId],
  );
}
