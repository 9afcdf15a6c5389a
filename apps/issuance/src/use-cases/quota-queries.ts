import { Injectable } from '@nestjs/common';
import { Principal, QuotaQueryDto, QuotaView, Subjects } from '@vc/contracts';
import { shanghaiYear } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { assertMayReadEnterprise } from '../access';
import { findEnterprise } from '../sql/enterprises.sql';
import { quotaYears } from '../sql/quota.sql';

/**
 * The grants of an enterprise per year: its claims, the total claimed, the cap and what may still
 * be claimed. Not the spendable balance: that lives in redemption (ADR 0003).
 */
@Injectable()
export class QuotaQueries {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async get(principal: Principal, dto: QuotaQueryDto): Promise<QuotaView> {
    const tx = this.uow.ds.manager;
    const enterprise = await findEnterprise(tx, dto.enterpriseId);
    if (!enterprise) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
    assertMayReadEnterprise(principal, enterprise);
    const years = await quotaYears(tx, enterprise.id, enterprise.province, { year: dto.year, currentYear: shanghaiYear(this.clock.now()) });
    return { enterpriseId: enterprise.id, spendableBalanceSubject: Subjects.redemption.balanceGet, years };
  }
}
