import { ProgrammeEvent, ProgrammeParametersDto, ProgrammeVersionView, ProgrammeView } from '@vc/contracts';
import { Tx } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { Work } from '@vc/platform';

const VERSION_COLUMNS = `
  v.version, v.offset_rate_bp AS "offsetRateBp", v.annual_cap_fen AS "annualCapFen", v.budget_fen AS "budgetFen", v.mode,
  v.publicity_working_days AS "publicityWorkingDays", v.matching_deadline_months AS "matchingDeadlineMonths",
  v.reward_rate_bp AS "rewardRateBp", v.reward_cap_fen AS "rewardCapFen", v.effective_from AS "effectiveFrom"`;

/** A programme with the parameters of its current version. */
export const PROGRAMME_SELECT = `
  SELECT p.id, p.province, p.year, p.status, ${VERSION_COLUMNS}
    FROM issuance.programmes p JOIN issuance.programme_versions v ON v.programme_id = p.id AND v.version = p.current_version`;

/**
 * `update` serialises lifecycle changes and versions; `share` lets many quota claims run together
 * while keeping a concurrent close or new version from slipping in between check and claim.
 *
 * The row is locked first and read after, in a statement of its own: a locking read of the join
 * that waited for a concurrent new version re-checks only the programme's row, against the version
 * row it saw before the wait, so `v.version = p.current_version` no longer matched and the
 * programme read as missing (NOT_FOUND for a programme that exists). The statement after the lock
 * sees the committed version.
 */
export async function findProgramme(tx: Tx, id: string, lock?: 'update' | 'share'): Promise<ProgrammeView | null> {
  if (lock) {
    const locked = await tx.query(`SELECT 1 FROM issuance.programmes WHERE id = $1 FOR ${lock.toUpperCase()}`, [id]);
    if (!locked.length) return null;
  }
  const rows = await tx.query(`${PROGRAMME_SELECT} WHERE p.id = $1`, [id]);
  return rows[0] ?? null;
}

export async function getProgramme(tx: Tx, id: string, lock?: 'update' | 'share'): Promise<ProgrammeView> {
  const programme = await findProgramme(tx, id, lock);
  if (!programme) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'programmeId', message: `no programme ${id}` });
  return programme;
}

export async function programmeVersions(tx: Tx, id: string): Promise<ProgrammeVersionView[]> {
  return tx.query(`SELECT ${VERSION_COLUMNS}, v.created_by AS "createdBy" FROM issuance.programme_versions v WHERE v.programme_id = $1 ORDER BY v.version`, [id]);
}

const PARAMETER_COLUMNS = `offset_rate_bp, annual_cap_fen, budget_fen, mode, publicity_working_days, matching_deadline_months, reward_rate_bp, reward_cap_fen`;

function parameterValues(p: ProgrammeParametersDto): unknown[] {
  return [
    p.offsetRateBp,
    p.annualCapFen.toString(),
    p.budgetFen.toString(),
    p.mode,
    p.publicityWorkingDays,
    p.matchingDeadlineMonths,
    p.rewardRateBp,
    p.rewardCapFen.toString(),
  ];
}

export async function insertVersion(work: Work, programmeId: string, version: number, p: ProgrammeParametersDto, effectiveFrom: Date | null): Promise<void> {
  await work.query(
    `INSERT INTO issuance.programme_versions (programme_id, version, ${PARAMETER_COLUMNS}, effective_from, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [programmeId, version, ...parameterValues(p), effectiveFrom, work.principal.sub],
  );
}

/** A draft has no orders and no grants yet: its one version is edited in place. */
export async function replaceDraftParameters(work: Work, programmeId: string, p: ProgrammeParametersDto): Promise<void> {
  await work.query(
    `UPDATE issuance.programme_versions SET (${PARAMETER_COLUMNS}, created_by) = ($2, $3, $4, $5, $6, $7, $8, $9, $10)
      WHERE programme_id = $1 AND version = 1`,
    [programmeId, ...parameterValues(p), work.principal.sub],
  );
}

/** The ProgrammeEvent payload (opened / versioned / closed); money as JSON fen. */
export function programmeEvent(p: ProgrammeView): ProgrammeEvent {
  if (p.status === 'draft' || !p.effectiveFrom) throw new Error(`programme ${p.id} is a draft: drafts emit no events`);
  return {
    programmeId: p.id,
    province: p.province as ProgrammeEvent['province'],
    year: p.year,
    version: p.version,
    status: p.status,
    offsetRateBp: p.offsetRateBp,
    annualCapFen: p.annualCapFen.toString(),
    budgetFen: p.budgetFen.toString(),
    mode: p.mode,
    publicityWorkingDays: p.publicityWorkingDays,
    matchingDeadlineMonths: p.matchingDeadlineMonths,
    rewardRateBp: p.rewardRateBp,
    rewardCapFen: p.rewardCapFen.toString(),
    effectiveFrom: new Date(p.effectiveFrom).toISOString(),
  };
}
