import { Injectable } from '@nestjs/common';
import { assertActsForEnterprise, requireRole } from '@vc/auth';
import { EnterpriseView, Principal, Role, SetSmeRegistrationDto } from '@vc/contracts';
import { advisoryKey } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { findEnterprise } from '../sql/enterprises.sql';

/**
 * R-ENT-2: the enterprise files its SME registration number (入库登记编号) for a year; claiming in
 * that year needs it. A correction replaces the number of that year (the audit keeps the old one);
 * a number belongs to one enterprise only.
 */
@Injectable()
export class SetSmeRegistrationUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: SetSmeRegistrationDto, idempotencyKey?: string): Promise<EnterpriseView> {
    requireRole(principal, Role.Enterprise);
    return this.uow.idempotent(principal, 'enterprise.set-sme', idempotencyKey, dto, async (work) => {
      const enterprise = await findEnterprise(work.tx, dto.enterpriseId, true);
      assertActsForEnterprise(principal, enterprise);
      // One filing of a number at a time: two enterprises filing the same number at once would
      // both find it free, and the second insert would then meet the unique index. Under the lock
      // the second sees the first's and is told the number is taken.
      await work.query(`SELECT pg_advisory_xact_lock($1)`, [advisoryKey(`sme-number:${dto.year}:${dto.registrationNumber}`)]);
      const [holder] = await work.query<{ enterpriseId: string }>(
        `SELECT enterprise_id AS "enterpriseId" FROM issuance.sme_registrations WHERE year = $1 AND registration_number = $2`,
        [dto.year, dto.registrationNumber],
      );
      if (holder && holder.enterpriseId !== enterprise.id) {
        throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'registrationNumber', message: `${dto.registrationNumber} is on file for another enterprise` });
      }
      const previous = enterprise.smeRegistrations.find((s) => s.year === dto.year)?.registrationNumber ?? null;
      await work.query(
        `INSERT INTO issuance.sme_registrations (enterprise_id, year, registration_number) VALUES ($1, $2, $3)
         ON CONFLICT (enterprise_id, year) DO UPDATE SET registration_number = EXCLUDED.registration_number`,
        [enterprise.id, dto.year, dto.registrationNumber],
      );
      await work.audit({
        action: previous ? 'enterprise.sme-corrected' : 'enterprise.sme-registered',
        entityType: 'enterprise',
        entityId: enterprise.id,
        data: { year: dto.year, registrationNumber: dto.registrationNumber, previous },
      });
      return (await findEnterprise(work.tx, enterprise.id))!;
    });
  }
}
