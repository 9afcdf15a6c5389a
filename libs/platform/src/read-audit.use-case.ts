import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { AuditQueryDto, Principal, Role } from '@vc/contracts';
import { AuditPage, readAudit } from '@vc/database';
import { UnitOfWork } from './unit-of-work';

/** R-AUDIT-1: a service's append-only audit log, for auditors and the delta desk, paged. */
@Injectable()
export class ReadAuditUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  execute(principal: Principal, dto: AuditQueryDto): Promise<AuditPage> {
    requireRole(principal, Role.Auditor, Role.DeltaOperator);
    return readAudit(this.uow.ds.manager, this.uow.schema, { after: dto.after, limit: dto.limit ?? 100, entityType: dto.entityType, entityId: dto.entityId });
  }
}
