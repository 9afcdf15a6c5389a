import { Injectable } from '@nestjs/common';
import { ClaimIdDto, ClaimPage, ClaimView, ListClaimsDto, Principal } from '@vc/contracts';
import { UnitOfWork } from '@vc/platform';
import { assertMayRead, readScope } from '../access';
import { findClaim } from '../sql/redemption.sql';

/** Claims as their parties, the programme's operator, the delta desk and auditors see them. */
@Injectable()
export class ClaimQueries {
  constructor(private readonly uow: UnitOfWork) {}

  async get(principal: Principal, dto: ClaimIdDto): Promise<ClaimView> {
    const claim = await findClaim(this.uow.ds.manager, dto.claimId);
    assertMayRead(principal, claim, 'claimId');
    return claim!.view;
  }

  async list(principal: Principal, dto: ListClaimsDto): Promise<ClaimPage> {
    const params: unknown[] = [];
    const where = [readScope(principal, params, 'c')];
    const bind = (v: unknown) => `$${params.push(v)}`;
    if (dto.status) where.push(`c.status = ${bind(dto.status)}`);
    if (dto.programmeId) where.push(`c.programme_id = ${bind(dto.programmeId)}`);
    if (dto.orderId) where.push(`c.order_id = ${bind(dto.orderId)}`);
    const rows = await this.uow.query<{ view: ClaimView }>(
      `SELECT redemption.claim_json(c) AS view FROM redemption.claims c WHERE ${where.join(' AND ')}
        ORDER BY c.submitted_at DESC, c.id LIMIT ${bind(dto.limit ?? 50)} OFFSET ${bind(dto.offset ?? 0)}`,
      params,
    );
    return { items: rows.map((r) => r.view) };
  }
}
