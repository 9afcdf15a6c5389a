import { Injectable } from '@nestjs/common';
import { assertActsForProvider, requireRole, requireWriter } from '@vc/auth';
import { ComplaintDecisionView, ComplaintPage, ComplaintView, DecideComplaintDto, Events, FileComplaintDto, ListComplaintsDto, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { findProvider, providerEvent } from '../providers/provider.sql';

/** R-REG-3: three or more upheld complaints revoke a provider. */
export const REVOCATION_THRESHOLD = 3;

const complaintColumns = (t = 'registry.complaints') => `${t}.id, ${t}.provider_id AS "providerId", ${t}.category, ${t}.description,
  ${t}.status, ${t}.decision_reason AS "decisionReason", ${t}.filed_by_org AS "filedByOrg", ${t}.created_at AS "createdAt",
  ${t}.decided_at AS "decidedAt"`;

@Injectable()
export class ComplaintsUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  /** Enterprises (and operators on their behalf) complain about service quality or violations. */
  async file(principal: Principal, dto: FileComplaintDto, idempotencyKey?: string): Promise<ComplaintView> {
    requireRole(principal, Role.Enterprise, Role.ProgrammeOperator, Role.DeltaOperator, Role.RegionAdmin);
    return this.uow.idempotent(principal, 'complaint.file', idempotencyKey, dto, async (work) => {
      const provider = await findProvider(work.tx, dto.providerId);
      if (!provider) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'providerId' });
      const [complaint] = await work.query<ComplaintView>(
        `INSERT INTO registry.complaints (provider_id, filed_by_sub, filed_by_org, category, description)
         VALUES ($1, $2, $3, $4, $5) RETURNING ${complaintColumns()}`,
        [provider.id, principal.sub, principal.org, dto.category, dto.description],
      );
      await work.audit({ action: 'complaint.filed', entityType: 'complaint', entityId: complaint.id, data: dto });
      return complaint;
    });
  }

  /** An operator upholds or dismisses; the third upheld complaint revokes the provider at once. */
  async decide(principal: Principal, dto: DecideComplaintDto, idempotencyKey?: string): Promise<ComplaintDecisionView> {
    requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator);
    return this.uow.idempotent(principal, 'complaint.decide', idempotencyKey, dto, async (work) => {
      const [complaint] = await work.query<ComplaintView>(`SELECT ${complaintColumns()} FROM registry.complaints WHERE id = $1 FOR UPDATE`, [dto.complaintId]);
      if (!complaint) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'complaintId' });
      if (complaint.status !== 'open') {
        throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'complaintId', message: `complaint is already ${complaint.status}` });
      }
      const upheld = dto.decision === 'uphold';
      const [decided] = await work.query<ComplaintView>(
        `UPDATE registry.complaints SET status = $2, decision_reason = $3, decided_by = $4, decided_at = now()
          WHERE id = $1 RETURNING ${complaintColumns()}`,
        [complaint.id, upheld ? 'upheld' : 'dismissed', dto.reason, principal.sub],
      );
      await work.audit({ action: upheld ? 'complaint.upheld' : 'complaint.dismissed', entityType: 'complaint', entityId: complaint.id, reason: dto.reason });
      let providerStatus = (await findProvider(work.tx, complaint.providerId))!.status as string;
      if (upheld) {
        // Conditional update: counting and revoking happen in one statement, so concurrent decisions cannot miss the threshold.
        const [row] = await work.query<{ status: string; old_status: string }>(
          `WITH old AS (SELECT id, status FROM registry.providers WHERE id = $1 FOR UPDATE)
           UPDATE registry.providers p
              SET upheld_complaints = p.upheld_complaints + 1,
                  status = CASE WHEN p.upheld_complaints + 1 >= $2 AND p.status = 'active' THEN 'revoked' ELSE p.status END,
                  status_reason = CASE WHEN p.upheld_complaints + 1 >= $2 AND p.status = 'active'
                                       THEN 'revoked after ' || (p.upheld_complaints + 1) || ' upheld complaints' ELSE p.status_reason END,
                  updated_at = now()
             FROM old WHERE p.id = old.id
        RETURNING p.status, old.status AS old_status`,
          [complaint.providerId, REVOCATION_THRESHOLD],
        );
        providerStatus = row.status;
        if (row.old_status === 'active' && row.status === 'revoked') {
          const provider = (await findProvider(work.tx, complaint.providerId))!;
          await work.audit({ action: 'provider.revoked', entityType: 'provider', entityId: provider.id, reason: provider.statusReason });
          await work.emit({ subject: Events.providerRevoked, aggregateType: 'provider', aggregateId: provider.id, payload: await providerEvent(work.tx, provider.id) });
        }
      }
      return { ...decided, providerStatus };
    });
  }

  /** Operators and auditors see all complaints; a provider its own; an enterprise those it filed. */
  async list(principal: Principal, dto: ListComplaintsDto): Promise<ComplaintPage> {
    const params: unknown[] = [dto.providerId ?? null, dto.status ?? null, dto.limit ?? 50, dto.offset ?? 0];
    let scope = '';
    if (principal.role === Role.Enterprise || principal.role === Role.RegionAdmin) {
      params.push(principal.org);
      scope = `AND c.filed_by_org = $${params.length}`;
    } else if (principal.role === Role.Provider) {
      if (dto.providerId) {
        const provider = await findProvider(this.uow.ds.manager, dto.providerId);
        assertActsForProvider(principal, provider);
      }
      params.push(principal.org);
      scope = `AND (p.id::text = $${params.length} OR p.credit_code = $${params.length})`;
    } else {
      requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator, Role.Auditor);
    }
    const items = await this.uow.query<ComplaintView>(
      `SELECT ${complaintColumns('c')} FROM registry.complaints c JOIN registry.providers p ON p.id = c.provider_id
        WHERE ($1::uuid IS NULL OR c.provider_id = $1) AND ($2::text IS NULL OR c.status = $2) ${scope}
        ORDER BY c.created_at DESC LIMIT $3 OFFSET $4`,
      params,
    );
    return { items };
  }
}

void requireWriter;
