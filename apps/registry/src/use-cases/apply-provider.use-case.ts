import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { ApplyProviderDto, Events, PRIORITY_PROVIDER_KINDS, Principal, ProviderView, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { findProvider, providerEvent } from '../providers/provider.sql';

const PRIORITY = new Set<string>(PRIORITY_PROVIDER_KINDS);

/**
 * R-REG-1: any provider may apply, wherever registered. Priority kinds are admitted once their
 * data validates; the others wait for an operator's review with their qualification documents.
 */
@Injectable()
export class ApplyProviderUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: ApplyProviderDto, idempotencyKey?: string): Promise<ProviderView> {
    requireRole(principal, Role.Provider, Role.DeltaOperator);
    if (principal.role === Role.Provider && principal.org !== dto.creditCode) {
      throw new DomainError(ErrorCode.FORBIDDEN, { field: 'creditCode', message: 'a provider account may apply only for units of its own legal entity' });
    }
    const priority = PRIORITY.has(dto.kind);
    const documents = dto.qualificationDocuments ?? [];
    if (!priority && documents.length === 0) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, {
        field: 'qualificationDocuments',
        message: `a provider of kind ${dto.kind} must submit qualification documents for review`,
      });
    }
    return this.uow.idempotent(principal, 'provider.apply', idempotencyKey, dto, async (work) => {
      const status = priority ? 'active' : 'pending_review';
      const inserted = await work.query<{ id: string }>(
        `INSERT INTO registry.providers (credit_code, unit_name, legal_name, kind, province, province_name, status, qualification_documents, contact)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (credit_code, unit_name) DO NOTHING RETURNING id`,
        [
          dto.creditCode,
          dto.unitName,
          dto.legalName,
          dto.kind,
          dto.province,
          dto.province === 'OTHER' ? dto.provinceName : null,
          status,
          JSON.stringify(documents),
          dto.contact ? JSON.stringify(dto.contact) : null,
        ],
      );
      if (inserted.length === 0) {
        throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'unitName', message: 'this unit of the legal entity is already registered' });
      }
      const provider = (await findProvider(work.tx, inserted[0].id))!;
      await work.audit({ action: priority ? 'provider.admitted' : 'provider.applied', entityType: 'provider', entityId: provider.id, data: dto });
      await work.emit({
        subject: priority ? Events.providerAdmitted : Events.providerApplied,
        aggregateType: 'provider',
        aggregateId: provider.id,
        payload: await providerEvent(work.tx, provider.id),
      });
      return provider;
    });
  }
}
