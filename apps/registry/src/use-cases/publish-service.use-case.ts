import { Injectable } from '@nestjs/common';
import { assertActsForProvider } from '@vc/auth';
import { ListServicesDto, Principal, PublishServiceDto, ServiceOfferingPage, ServiceOfferingView } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { findProvider } from '../providers/provider.sql';

const offeringColumns = (t = 'registry.service_offerings') =>
  `${t}.id, ${t}.provider_id AS "providerId", ${t}.category, ${t}.name, ${t}.description, ${t}.price_fen AS "priceFen", ${t}.unit,
   ${t}.created_at AS "createdAt"`;

/** R-REG-2: only an active (not suspended) provider publishes services. */
@Injectable()
export class PublishServiceUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: PublishServiceDto, idempotencyKey?: string): Promise<ServiceOfferingView> {
    return this.uow.idempotent(principal, 'service.publish', idempotencyKey, dto, async (work) => {
      const provider = await findProvider(work.tx, dto.providerId);
      if (!provider) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'providerId' });
      assertActsForProvider(principal, provider);
      if (provider.status !== 'active' || provider.suspended) {
        throw new DomainError(ErrorCode.PROVIDER_NOT_ACTIVE, {
          field: 'providerId',
          message: provider.suspended ? 'provider is suspended by a serious credit record' : `provider is ${provider.status}`,
        });
      }
      const [offering] = await work.query<ServiceOfferingView>(
        `INSERT INTO registry.service_offerings (provider_id, category, name, description, price_fen, unit)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${offeringColumns()}`,
        [provider.id, dto.category, dto.name, dto.description ?? null, dto.priceFen.toString(), dto.unit],
      );
      await work.audit({ action: 'service.published', entityType: 'service_offering', entityId: offering.id, data: dto });
      return offering;
    });
  }

  async list(_principal: Principal, dto: ListServicesDto): Promise<ServiceOfferingPage> {
    const items = await this.uow.query<ServiceOfferingView>(
      `SELECT ${offeringColumns("s")}
         FROM registry.service_offerings s JOIN registry.providers p ON p.id = s.provider_id
        WHERE p.status = 'active' AND ($1::uuid IS NULL OR s.provider_id = $1) AND ($2::text IS NULL OR s.category = $2)
        ORDER BY s.created_at DESC LIMIT $3 OFFSET $4`,
      [dto.providerId ?? null, dto.category ?? null, dto.limit ?? 50, dto.offset ?? 0],
    );
    return { items };
  }
}
