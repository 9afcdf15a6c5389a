import { Injectable } from '@nestjs/common';
import { ListOrdersDto, OrderIdDto, OrderPage, OrderView, Principal } from '@vc/contracts';
import { UnitOfWork } from '@vc/platform';
import { assertMayRead, readScope } from '../access';
import { findOrder } from '../sql/redemption.sql';

/** Orders as their parties, the programme's operator, the delta desk and auditors see them. */
@Injectable()
export class OrderQueries {
  constructor(private readonly uow: UnitOfWork) {}

  async get(principal: Principal, dto: OrderIdDto): Promise<OrderView> {
    const order = await findOrder(this.uow.ds.manager, dto.orderId);
    assertMayRead(principal, order);
    return order!.view;
  }

  async list(principal: Principal, dto: ListOrdersDto): Promise<OrderPage> {
    const params: unknown[] = [];
    const where = [readScope(principal, params, 'o')];
    const bind = (v: unknown) => `$${params.push(v)}`;
    if (dto.status) where.push(`o.status = ${bind(dto.status)}`);
    if (dto.programmeId) where.push(`o.programme_id = ${bind(dto.programmeId)}`);
    if (dto.providerId) where.push(`o.provider_id = ${bind(dto.providerId)}`);
    if (dto.enterpriseId) where.push(`o.enterprise_id = ${bind(dto.enterpriseId)}`);
    const rows = await this.uow.query<{ view: OrderView }>(
      `SELECT redemption.order_json(o) AS view FROM redemption.orders o WHERE ${where.join(' AND ')}
        ORDER BY o.created_at DESC, o.id LIMIT ${bind(dto.limit ?? 50)} OFFSET ${bind(dto.offset ?? 0)}`,
      params,
    );
    return { items: rows.map((r) => r.view) };
  }
}
