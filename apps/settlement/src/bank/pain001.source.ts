import { DomainError, ErrorCode } from '@vc/errors';
import { Query } from '../outputs/sources';
import { BankAccountRow } from './bank-accounts.sql';
import { Pain001Input } from './pain001';

/**
 * What a run's pain.001 file is made of, read so that the file is the same however often it is
 * produced: the run's instructions that were sent (each with the account it was written for) and
 * the programme's account as it stood when the instructions were written (its first version, if it
 * was given only later). Refused, naming the programme, while the programme has no account.
 */
export async function pain001Data(query: Query, runId: string): Promise<Pain001Input> {
  const [run] = await query<{ id: string; programme_id: string; quarter: string; state: string; paid_at: Date | null; paid_on: string | null }>(
    `SELECT id, programme_id, quarter, state, paid_at, to_char(paid_on, 'YYYY-MM-DD') AS paid_on FROM settlement.runs WHERE id = $1`,
    [runId],
  );
  if (!run?.paid_at) throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: 'the run has no payment instructions yet: disburse it first' });
  const [debtor] = await query<BankAccountRow>(
    `SELECT * FROM settlement.bank_accounts WHERE owner_type = 'programme' AND owner_id = $1
      ORDER BY (submitted_at <= $2) DESC, CASE WHEN submitted_at <= $2 THEN -version ELSE version END LIMIT 1`,
    [run.programme_id, run.paid_at],
  );
  if (!debtor) {
    throw new DomainError(ErrorCode.BANK_ACCOUNT_MISSING, {
      field: 'programmeId',
      message: `${run.programme_id} has no paying bank account on file: its operator gives it (PUT /v1/settlement/bank-accounts/programme/${run.programme_id})`,
      details: { programmeId: run.programme_id },
    });
  }
  const transfers = await query<{
    id: string;
    kind: 'run' | 'reissue';
    reissue_of: string | null;
    total_fen: bigint;
    claim_count: number;
    holder_name: string;
    payee_credit_code: string | null;
    account_number: string;
    bank_name: string;
    bank_code: string;
  }>(
    `SELECT id, kind, reissue_of, total_fen, claim_count, holder_name, payee_credit_code, account_number, bank_name, bank_code
       FROM settlement.instructions WHERE run_id = $1 AND account_version IS NOT NULL ORDER BY kind, payee_type, payee_id, id`,
    [runId],
  );
  if (transfers.length === 0) {
    throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: 'no instruction of the run can be sent: every payee lacks bank details (held)' });
  }
  return {
    runId: run.id,
    programmeId: run.programme_id,
    quarter: run.quarter,
    createdAt: run.paid_at,
    executionDate: run.paid_on!,
    initiatorName: debtor.holder_name,
    debtor: { holderName: debtor.holder_name, holderCreditCode: debtor.holder_credit_code, accountNumber: debtor.account_number, bankName: debtor.bank_name, bankCode: debtor.bank_code },
    transfers: transfers.map((t) => ({
      instructionId: t.id,
      kind: t.kind,
      reissueOf: t.reissue_of,
      totalFen: t.total_fen,
      claimCount: t.claim_count,
      holderName: t.holder_name,
      holderCreditCode: t.payee_credit_code,
      accountNumber: t.account_number,
      bankName: t.bank_name,
      bankCode: t.bank_code,
    })),
  };
}
