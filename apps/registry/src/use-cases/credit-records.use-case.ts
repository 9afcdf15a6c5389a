import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { CreditRecordFiledView, CreditRecordPage, CreditRecordRepairedView, CreditRecordView, Events, FileCreditRecordDto, ListCreditRecordsDto, Principal, RepairCreditRecordDto, Role } from '@vc/contracts';
import { addMonthsClamped, shanghaiDate } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork, Work } from '@vc/platform';
import { providerEvent, providersOfLegalEntity } from '../providers/provider.sql';

/** Years after which a record may be repaired (R-REG-4): general 1, serious 3. */
export const REPAIR_AFTER_YEARS = { general: 1, serious: 3 } as const;

const COLUMNS = `id, credit_code AS "creditCode", severity, filed_by_province AS "filedByProvince", reason,
  to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", to_char(effective_to, 'YYYY-MM-DD') AS "effectiveTo", status,
  repair_reason AS "repairReason", repaired_at AS "repairedAt", created_at AS "createdAt"`;

/**
 * R-REG-4: credit is recognised delta-wide. A serious-dishonesty record filed by any delta province
 * suspends every unit of the legal entity in every programme until an approved credit repair.
 */
@Injectable()
export class CreditRecordsUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  private filingProvince(principal: Principal): string {
    requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator);
    if (principal.role === Role.DeltaOperator) return 'DELTA';
    if (!principal.province) throw new DomainError(ErrorCode.FORBIDDEN, { message: 'operator token names no province' });
    return principal.province;
  }

  async file(principal: Principal, dto: FileCreditRecordDto, idempotencyKey?: string): Promise<CreditRecordFiledView> {
    const province = this.filingProvince(principal);
    if (dto.effectiveTo && dto.effectiveTo < dto.effectiveFrom) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'effectiveTo', message: 'effectiveTo is before effectiveFrom' });
    }
    // A record is filed once it is in effect: its suspension (R-REG-4) is announced to redemption when
    // it is filed, and nothing would announce it later on the day a future record took effect.
    const today = shanghaiDate(this.clock.now());
    if (dto.effectiveFrom > today) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'effectiveFrom', message: `effectiveFrom may not be after today (${today}, Asia/Shanghai): file a record once it is in effect` });
    }
    return this.uow.idempotent(principal, 'credit.file', idempotencyKey, dto, async (work) => {
      // Serialise changes to one legal entity's credit so that suspension events are emitted exactly once.
      await work.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`credit:${dto.creditCode}`]);
      const before = new Set((await providersOfLegalEntity(work.tx, dto.creditCode)).filter((p) => p.suspended).map((p) => p.id));
      const [record] = await work.query<CreditRecordView>(
        `INSERT INTO registry.credit_records (credit_code, severity, filed_by_province, reason, effective_from, effective_to)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [dto.creditCode, dto.severity, province, dto.reason, dto.effectiveFrom, dto.effectiveTo ?? null],
      );
      await work.audit({ action: 'credit.filed', entityType: 'credit_record', entityId: record.id, reason: dto.reason, data: dto });
      const suspendedUnits = await this.emitSuspensionChanges(work, dto.creditCode, before);
      return { ...record, suspendedUnits };
    });
  }

  async repair(principal: Principal, dto: RepairCreditRecordDto, idempotencyKey?: string): Promise<CreditRecordRepairedView> {
    const province = this.filingProvince(principal);
    return this.uow.idempotent(principal, 'credit.repair', idempotencyKey, dto, async (work) => {
      const [seen] = await work.query<{ creditCode: string }>(`SELECT credit_code AS "creditCode" FROM registry.credit_records WHERE id = $1`, [dto.recordId]);
      if (!seen) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'recordId' });
      await work.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`credit:${seen.creditCode}`]);
      // Read under the lock: a repair of the same record that committed while this one waited for
      // it is seen here, and this one is told the record is repaired.
      const [existing] = await work.query<CreditRecordView>(`SELECT ${COLUMNS} FROM registry.credit_records WHERE id = $1`, [dto.recordId]);
      if (province !== 'DELTA' && existing.filedByProvince !== province) {
        throw new DomainError(ErrorCode.FORBIDDEN, { field: 'recordId', message: 'only the filing province or the delta desk approves a repair' });
      }
      if (existing.status !== 'active') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'recordId', message: 'record is already repaired' });
      const earliest = addMonthsClamped(existing.effectiveFrom, 12 * REPAIR_AFTER_YEARS[existing.severity]);
      const today = shanghaiDate(this.clock.now());
      if (today < earliest) {
        throw new DomainError(ErrorCode.CREDIT_REPAIR_TOO_EARLY, {
          field: 'recordId',
          message: `a ${existing.severity} record may be repaired from ${earliest}`,
          details: { earliestRepairDate: earliest },
        });
      }
      const before = new Set((await providersOfLegalEntity(work.tx, existing.creditCode)).filter((p) => p.suspended).map((p) => p.id));
      const [record] = await work.query<CreditRecordView>(
        `UPDATE registry.credit_records SET status = 'repaired', repair_reason = $2, repaired_by = $3, repaired_at = now()
          WHERE id = $1 AND status = 'active' RETURNING ${COLUMNS}`,
        [existing.id, dto.reason, principal.sub],
      );
      if (!record) throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'recordId', message: 'record is already repaired' });
      await work.audit({ action: 'credit.repaired', entityType: 'credit_record', entityId: record.id, reason: dto.reason });
      const after = await providersOfLegalEntity(work.tx, existing.creditCode);
      const reinstatedUnits: string[] = [];
      for (const p of after) {
        if (before.has(p.id) && !p.suspended) {
          reinstatedUnits.push(p.id);
          await work.audit({ action: 'provider.reinstated', entityType: 'provider', entityId: p.id, reason: `credit repair of record ${record.id}` });
          await work.emit({ subject: Events.providerReinstated, aggregateType: 'provider', aggregateId: p.id, payload: await providerEvent(work.tx, p.id) });
        }
      }
      return { ...record, reinstatedUnits };
    });
  }

  private async emitSuspensionChanges(work: Work, creditCode: string, before: Set<string>): Promise<string[]> {
    const suspended: string[] = [];
    for (const p of await providersOfLegalEntity(work.tx, creditCode)) {
      if (p.suspended && !before.has(p.id)) {
        suspended.push(p.id);
        await work.audit({ action: 'provider.suspended', entityType: 'provider', entityId: p.id, reason: 'serious credit record against the legal entity' });
        await work.emit({ subject: Events.providerSuspended, aggregateType: 'provider', aggregateId: p.id, payload: await providerEvent(work.tx, p.id) });
      }
    }
    return suspended;
  }

  async list(principal: Principal, dto: ListCreditRecordsDto): Promise<CreditRecordPage> {
    let scope = '';
    const params: unknown[] = [dto.creditCode ?? null, dto.status ?? null];
    if (principal.role === Role.Provider) {
      // a provider sees the records against its own legal entity only
      params.push(principal.org);
      scope = `AND (credit_code = $3 OR credit_code IN (SELECT credit_code FROM registry.providers WHERE id::text = $3))`;
    } else {
      requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator, Role.Auditor);
    }
    const items = await this.uow.query<CreditRecordView>(
      `SELECT ${COLUMNS} FROM registry.credit_records
        WHERE ($1::text IS NULL OR credit_code = $1) AND ($2::text IS NULL OR status = $2) ${scope}
        ORDER BY created_at DESC LIMIT 500`,
      params,
    );
    return { items };
  }
}
