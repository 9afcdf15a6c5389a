import { Injectable } from '@nestjs/common';
import { BalanceQueryDto, BalanceView, isUuid, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { isOverseer } from '../access';
import { findEnterprise } from '../sql/redemption.sql';

/**
 * The live balances redemption owns (ADR 0003). A programme's budget left is public (vouchers are
 * first come, first served); an enterprise's quota is shown to the enterprise itself and to the
 * programme's overseers.
 */
@Injectable()
export class BalanceQueries {
  constructor(private readonly uow: UnitOfWork) {}

  async get(principal: Principal, dto: BalanceQueryDto): Promise<BalanceView> {
    let enterpriseId = dto.enterpriseId;
    if (principal.role === Role.Enterprise) {
      const own = isUuid(principal.org) ? principal.org : (await findEnterprise(this.uow.ds.manager, { creditCode: principal.org }))?.id;
      if (enterpriseId && enterpriseId !== own) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
      enterpriseId = own;
    } else if (enterpriseId && !isOverseer(principal, dto.programmeId)) {
      throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
    }
    const [programme] = await this.uow.query(
      `SELECT p.status, p.year, p.current_version AS version, b.credited_fen AS credited, redemption.budget_left(x.id) AS "left"
         FROM (SELECT $1::text AS id) x
         LEFT JOIN redemption.programmes p ON p.id = x.id
         LEFT JOIN redemption.programme_budget b ON b.programme_id = x.id`,
      [dto.programmeId],
    );
    const [quota] = enterpriseId
      ? await this.uow.query(
          `SELECT enterprise_id AS "enterpriseId", year, granted_fen AS "grantedFen", left_fen AS "leftFen", lapsed_fen AS "lapsedFen"
             FROM redemption.quota_balance WHERE enterprise_id = $1 AND programme_id = $2`,
          [enterpriseId, dto.programmeId],
        )
      : [];
    if (!programme.status && programme.credited === null && !quota) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'programmeId' });
    return {
      programmeId: dto.programmeId,
      status: programme.status ?? null,
      year: programme.year ?? null,
      version: programme.version ?? null,
      budget: { creditedFen: programme.credited ?? 0n, leftFen: programme.left ?? 0n },
      quota: quota ?? null,
    };
  }
}
