import { BankAccountOwner, BankAccountView, isUuid, Principal, Role } from '@vc/contracts';
import { queryRows, Tx } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { assertOperatorOf, provinceOfProgramme } from '../sql/access';

export interface BankAccountRow {
  owner_type: BankAccountOwner;
  owner_id: string;
  version: number;
  holder_name: string;
  holder_credit_code: string | null;
  account_number: string;
  bank_name: string;
  bank_code: string;
  reason: string | null;
  submitted_by_sub: string;
  submitted_by_role: string;
  submitted_by_org: string;
  submitted_at: Date;
}

export async function currentBankAccount(tx: Tx, ownerType: BankAccountOwner, ownerId: string): Promise<BankAccountRow | undefined> {
  const rows = await queryRows<BankAccountRow>(tx, `SELECT * FROM settlement.bank_accounts_current WHERE owner_type = $1 AND owner_id = $2`, [ownerType, ownerId]);
  return rows[0];
}

export function bankAccountView(row: BankAccountRow): BankAccountView {
  return {
    ownerType: row.owner_type,
    ownerId: row.owner_id,
    version: row.version,
    holderName: row.holder_name,
    holderCreditCode: row.holder_credit_code,
    accountNumber: row.account_number,
    bankName: row.bank_name,
    bankCode: row.bank_code,
    reason: row.reason,
    submittedBy: { sub: row.submitted_by_sub, role: row.submitted_by_role, org: row.submitted_by_org },
    submittedAt: row.submitted_at.toISOString(),
  };
}

const notFound = () => new DomainError(ErrorCode.NOT_FOUND, { field: 'ownerId', message: 'no such account holder of yours' });

/**
 * Who gives an account's details: a programme's own operator for its paying account; a payee for
 * its own receiving account, as a provider unit (org = unit id) or the account of its legal entity
 * (org = credit code) once settlement knows the unit belongs to it (an instruction to the unit
 * names both), and an enterprise (org = its id, or its credit code as settlement's copy of the
 * enterprise has it). Anyone else is told there is no such holder (no probing of ids).
 */
export async function assertManagesAccount(tx: Tx, principal: Principal, ownerType: BankAccountOwner, ownerId: string): Promise<void> {
  if (ownerType === 'programme') {
    assertOperatorOf(principal, provinceOfProgramme(ownerId));
    const [known] = await queryRows(tx, `SELECT 1 FROM settlement.programmes WHERE id = $1`, [ownerId]);
    if (!known) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'ownerId', message: `programme ${ownerId} is not known to settlement` });
    return;
  }
  if (!isUuid(ownerId)) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'ownerId', message: `a ${ownerType} is named by its id (a UUID)` });
  if (ownerType === 'provider') {
    if (principal.role !== Role.Provider) throw notFound();
    if (principal.org === ownerId) return;
    // a unit is a payee once an instruction names it (instructions_payee index)
    const [unit] = await queryRows(
      tx,
      `SELECT 1 FROM settlement.instructions WHERE payee_type = 'provider' AND payee_id = $1 AND payee_credit_code = $2 LIMIT 1`,
      [ownerId, principal.org],
    );
    if (!unit) throw notFound();
    return;
  }
  if (principal.role !== Role.Enterprise) throw notFound();
  if (principal.org === ownerId) return;
  const [own] = await queryRows(tx, `SELECT 1 FROM settlement.enterprises WHERE id = $1 AND credit_code = $2`, [ownerId, principal.org]);
  if (!own) throw notFound();
}

/** Who reads an account: whoever manages it, the programme operators (who pay payees of every province), the delta desk, auditors. */
export async function assertReadsAccount(tx: Tx, principal: Principal, ownerType: BankAccountOwner, ownerId: string): Promise<void> {
  if (principal.role === Role.DeltaOperator || principal.role === Role.Auditor) return;
  if (principal.role === Role.ProgrammeOperator && ownerType !== 'programme') return;
  await assertManagesAccount(tx, principal, ownerType, ownerId);
}
