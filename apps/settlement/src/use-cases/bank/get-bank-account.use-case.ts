import { Injectable } from '@nestjs/common';
import { BankAccountQueryDto, BankAccountView, Principal } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { assertReadsAccount, bankAccountView, currentBankAccount } from '../../bank/bank-accounts.sql';

/** The current bank account of a programme or payee, for whoever manages it, programme operators, the delta desk and auditors. */
@Injectable()
export class GetBankAccountUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: BankAccountQueryDto): Promise<BankAccountView> {
    return this.uow.run(principal, async (work) => {
      await assertReadsAccount(work.tx, principal, dto.ownerType, dto.ownerId);
      const row = await currentBankAccount(work.tx, dto.ownerType, dto.ownerId);
      if (!row) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'ownerId', message: `no bank account of this ${dto.ownerType} is on file` });
      return bankAccountView(row);
    });
  }
}
