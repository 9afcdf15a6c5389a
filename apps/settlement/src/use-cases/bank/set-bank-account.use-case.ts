import { Injectable } from '@nestjs/common';
import { requireWriter } from '@vc/auth';
import { BankAccountView, Principal, SetBankAccountDto } from '@vc/contracts';
import { advisoryKey } from '@vc/database';
import { Clock, UnitOfWork } from '@vc/platform';
import { assertManagesAccount, bankAccountView, currentBankAccount } from '../../bank/bank-accounts.sql';

/**
 * A programme's paying account (its operator) or a payee's receiving account (the payee itself),
 * as payment files name them. Versioned: a change is a new version and the former stays readable;
 * the same details given again change nothing. A payee whose payment the bank returned (closed
 * account, wrong name…) gives corrected details here; the programme's next disbursement then pays
 * the returned instruction again, once, to the new version (SPEC 5.6 step 3, R-PAY-1).
 */
@Injectable()
export class SetBankAccountUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: SetBankAccountDto, key?: string): Promise<BankAccountView & { changed: boolean }> {
    requireWriter(principal);
    return this.uow.idempotent(principal, 'bank-account.set', key, dto, async (work) => {
      await assertManagesAccount(work.tx, principal, dto.ownerType, dto.ownerId);
      await work.query(`SELECT pg_advisory_xact_lock($1)`, [advisoryKey(`bank-account:${dto.ownerType}:${dto.ownerId}`)]);
      const current = await currentBankAccount(work.tx, dto.ownerType, dto.ownerId);
      const same =
        current &&
        current.holder_name === dto.holderName &&
        current.holder_credit_code === (dto.holderCreditCode ?? null) &&
        current.account_number === dto.accountNumber &&
        current.bank_name === dto.bankName &&
        current.bank_code === dto.bankCode;
      if (current && same) return { ...bankAccountView(current), changed: false };
      const version = (current?.version ?? 0) + 1;
      await work.query(
        `INSERT INTO settlement.bank_accounts (owner_type, owner_id, version, holder_name, holder_credit_code, account_number, bank_name, bank_code, reason,
           submitted_by_sub, submitted_by_role, submitted_by_org, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [dto.ownerType, dto.ownerId, version, dto.holderName, dto.holderCreditCode ?? null, dto.accountNumber, dto.bankName, dto.bankCode, dto.reason ?? null,
          principal.sub, principal.role, principal.org, this.clock.now()],
      );
      // the account number is kept in the account's own record; the audit says who changed which holder's details and why
      await work.audit({
        action: 'bank-account.set',
        entityType: `${dto.ownerType}-bank-account`,
        entityId: dto.ownerId,
        reason: dto.reason ?? null,
        data: { version, bankCode: dto.bankCode, accountEnding: dto.accountNumber.slice(-4) },
      });
      return { ...bankAccountView((await currentBankAccount(work.tx, dto.ownerType, dto.ownerId))!), changed: true };
    });
  }
}
