import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { CreateProgrammeDto, Events, ListProgrammesDto, Principal, ProgrammeIdDto, ProgrammeView, Role, UpdateProgrammeDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork, Work } from '@vc/platform';
import { assertOperatorOf, findProgramme, programmeEvent, PROGRAMME_SELECT } from '../issuance.sql';

/**
 * A programme is one province's voucher scheme for one year (SPEC 4), draft → open → closed.
 * R-PROG-1: parameters are frozen once open; a change makes a new version that applies to orders
 * confirmed after it (effectiveFrom), never retroactively.
 */
@Injectable()
export class ProgrammesUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async create(principal: Principal, dto: CreateProgrammeDto, key?: string): Promise<ProgrammeView> {
    assertOperatorOf(principal, principal.province ?? '');
    const id = `${principal.province}-${dto.year}`;
    return this.uow.idempotent(principal, 'programme.create', key, dto, async (work) => {
      const inserted = await work.query(
        `INSERT INTO issuance.programmes (id, province, year, status) VALUES ($1, $2, $3, 'draft') ON CONFLICT DO NOTHING RETURNING id`,
        [id, principal.province, dto.year],
      );
      if (inserted.length === 0) throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'year', message: `programme ${id} already exists` });
      await this.insertVersion(work, id, 1, dto, null);
      await work.audit({ action: 'programme.created', entityType: 'programme', entityId: id, data: dto });
      return (await findProgramme(work.tx, id))!;
    });
  }

  /** Draft: edited in place. Open: a new version from now on (R-PROG-1). Closed: refused. */
  async update(principal: Principal, dto: UpdateProgrammeDto, key?: string): Promise<ProgrammeView> {
    return this.uow.idempotent(principal, 'programme.update', key, dto, async (work) => {
      const current = await this.load(work, principal, dto.programmeId);
      if (current.status === 'closed') throw new DomainError(ErrorCode.PROGRAMME_FROZEN, { field: 'programmeId', message: 'a closed programme cannot change' });
      if (current.status === 'draft') {
        await work.query(`DELETE FROM issuance.programme_versions WHERE programme_id = $1 AND version = 1`, [current.id]);
        await this.insertVersion(work, current.id, 1, dto, null);
        await work.audit({ action: 'programme.draft-updated', entityType: 'programme', entityId: current.id, data: dto });
        return (await findProgramme(work.tx, current.id))!;
      }
      if (dto.budgetFen < current.budgetFen) {
        throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'budgetFen', message: 'the budget of an open programme may only grow' });
      }
      const version = current.version + 1;
      await this.insertVersion(work, current.id, version, dto, this.clock.now());
      await work.query(`UPDATE issuance.programmes SET current_version = $2 WHERE id = $1`, [current.id, version]);
      const updated = (await findProgramme(work.tx, current.id))!;
      if (dto.budgetFen > current.budgetFen) {
        await this.ledgerBudget(work, current.id, dto.budgetFen - current.budgetFen, `version ${version}`);
      }
      await work.audit({ action: 'programme.versioned', entityType: 'programme', entityId: current.id, data: dto, reason: `version ${version}` });
      await work.emit({ subject: Events.programmeVersioned, aggregateType: 'programme', aggregateId: current.id, payload: programmeEvent(updated) });
      return updated;
    });
  }

  async open(principal: Principal, dto: ProgrammeIdDto, key?: string): Promise<ProgrammeView> {
    return this.uow.idempotent(principal, 'programme.open', key, dto, async (work) => {
      const current = await this.load(work, principal, dto.programmeId);
      if (current.status !== 'draft') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'programmeId', message: `programme is ${current.status}` });
      const now = this.clock.now();
      await work.query(`UPDATE issuance.programmes SET status = 'open', opened_at = $2 WHERE id = $1`, [current.id, now]);
      await work.query(`UPDATE issuance.programme_versions SET effective_from = $2 WHERE programme_id = $1 AND version = 1`, [current.id, now]);
      const opened = (await findProgramme(work.tx, current.id))!;
      await this.ledgerBudget(work, current.id, opened.budgetFen, 'opened');
      await work.audit({ action: 'programme.opened', entityType: 'programme', entityId: current.id });
      await work.emit({ subject: Events.programmeOpened, aggregateType: 'programme', aggregateId: current.id, payload: programmeEvent(opened) });
      return opened;
    });
  }

  async close(principal: Principal, dto: ProgrammeIdDto, key?: string): Promise<ProgrammeView> {
    return this.uow.idempotent(principal, 'programme.close', key, dto, async (work) => {
      const current = await this.load(work, principal, dto.programmeId);
      if (current.status !== 'open') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'programmeId', message: `programme is ${current.status}` });
      await work.query(`UPDATE issuance.programmes SET status = 'closed', closed_at = $2 WHERE id = $1`, [current.id, this.clock.now()]);
      const closed = (await findProgramme(work.tx, current.id))!;
      await work.audit({ action: 'programme.closed', entityType: 'programme', entityId: current.id });
      await work.emit({ subject: Events.programmeClosed, aggregateType: 'programme', aggregateId: current.id, payload: programmeEvent(closed) });
      return closed;
    });
  }

  async get(_principal: Principal, dto: ProgrammeIdDto): Promise<ProgrammeView & { versions: unknown[] }> {
    const programme = await findProgramme(this.uow.ds.manager, dto.programmeId);
    if (!programme) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'programmeId' });
    const versions = await this.uow.query(
      `SELECT version, offset_rate_bp AS "offsetRateBp", annual_cap_fen AS "annualCapFen", budget_fen AS "budgetFen", mode,
              effective_from AS "effectiveFrom", created_by AS "createdBy"
         FROM issuance.programme_versions WHERE programme_id = $1 ORDER BY version`,
      [dto.programmeId],
    );
    return { ...programme, versions };
  }

  /** Programmes are public information: every principal may list them. */
  async list(_principal: Principal, dto: ListProgrammesDto): Promise<{ items: ProgrammeView[] }> {
    const items = await this.uow.query<ProgrammeView>(
      `${PROGRAMME_SELECT} WHERE ($1::text IS NULL OR p.province = $1) AND ($2::int IS NULL OR p.year = $2) ORDER BY p.year DESC, p.province`,
      [dto.province ?? null, dto.year ?? null],
    );
    return { items };
  }

  private async load(work: Work, principal: Principal, id: string): Promise<ProgrammeView> {
    requireRole(principal, Role.ProgrammeOperator);
    const programme = await findProgramme(work.tx, id, true);
    if (!programme) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'programmeId' });
    assertOperatorOf(principal, programme.province);
    return programme;
  }

  private async insertVersion(work: Work, id: string, version: number, dto: CreateProgrammeDto | UpdateProgrammeDto, effectiveFrom: Date | null) {
    await work.query(
      `INSERT INTO issuance.programme_versions (programme_id, version, offset_rate_bp, annual_cap_fen, budget_fen, mode, publicity_working_days,
         matching_deadline_months, reward_rate_bp, reward_cap_fen, effective_from, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [id, version, dto.offsetRateBp, dto.annualCapFen.toString(), dto.budgetFen.toString(), dto.mode, dto.publicityWorkingDays,
        dto.matchingDeadlineMonths, dto.rewardRateBp, dto.rewardCapFen.toString(), effectiveFrom, work.principal.sub],
    );
  }

  private async ledgerBudget(work: Work, programmeId: string, amount: bigint, ref: string) {
    await work.query(`INSERT INTO issuance.ledger_entries (entry_type, programme_id, amount_fen, ref) VALUES ('budget_set', $1, $2, $3)`, [
      programmeId,
      amount.toString(),
      ref,
    ]);
  }
}
