import { Injectable } from '@nestjs/common';
import { operatorProvince } from '@vc/auth';
import { CreateProgrammeDto, Principal, ProgrammeView } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { programmeIdOf } from '../quota-rules';
import { getProgramme, insertVersion } from '../sql/programmes.sql';

/** SPEC 4: an operator drafts its province's programme for a year ('JS-2026'), one per province-year. */
@Injectable()
export class CreateProgrammeUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: CreateProgrammeDto, idempotencyKey?: string): Promise<ProgrammeView> {
    const province = operatorProvince(principal);
    const id = programmeIdOf(province, dto.year);
    return this.uow.idempotent(principal, 'programme.create', idempotencyKey, dto, async (work) => {
      const inserted = await work.query(
        `INSERT INTO issuance.programmes (id, province, year, status) VALUES ($1, $2, $3, 'draft') ON CONFLICT DO NOTHING RETURNING id`,
        [id, province, dto.year],
      );
      if (inserted.length === 0) throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'year', message: `programme ${id} already exists` });
      await insertVersion(work, id, 1, dto, null);
      await work.audit({ action: 'programme.created', entityType: 'programme', entityId: id, data: dto });
      return getProgramme(work.tx, id);
    });
  }
}
