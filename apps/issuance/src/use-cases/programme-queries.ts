import { Injectable } from '@nestjs/common';
import { ListProgrammesDto, Principal, ProgrammeDetailView, ProgrammeIdDto, ProgrammePage, ProgrammeView } from '@vc/contracts';
import { UnitOfWork } from '@vc/platform';
import { getProgramme, PROGRAMME_SELECT, programmeVersions } from '../sql/programmes.sql';

/** Programmes and their versions are public information: every authenticated principal reads them. */
@Injectable()
export class ProgrammeQueries {
  constructor(private readonly uow: UnitOfWork) {}

  async get(_principal: Principal, dto: ProgrammeIdDto): Promise<ProgrammeDetailView> {
    const tx = this.uow.ds.manager;
    const programme = await getProgramme(tx, dto.programmeId);
    return { ...programme, versions: await programmeVersions(tx, programme.id) };
  }

  async list(_principal: Principal, dto: ListProgrammesDto): Promise<ProgrammePage> {
    const items = await this.uow.query<ProgrammeView>(
      `${PROGRAMME_SELECT} WHERE ($1::text IS NULL OR p.province = $1) AND ($2::int IS NULL OR p.year = $2) ORDER BY p.year DESC, p.province`,
      [dto.province ?? null, dto.year ?? null],
    );
    return { items };
  }
}
