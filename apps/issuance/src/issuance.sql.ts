import { EnterpriseView, Principal, ProgrammeEvent, ProgrammeView, RegionView, Role } from '@vc/contracts';
import { Tx } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';

export const PROGRAMME_SELECT = `
  SELECT p.id, p.province, p.year, p.status, v.version, v.offset_rate_bp AS "offsetRateBp", v.annual_cap_fen AS "annualCapFen",
         v.budget_fen AS "budgetFen", v.mode, v.publicity_working_days AS "publicityWorkingDays",
         v.matching_deadline_months AS "matchingDeadlineMonths", v.reward_rate_bp AS "rewardRateBp", v.reward_cap_fen AS "rewardCapFen",
         v.effective_from AS "effectiveFrom"
    FROM issuance.programmes p JOIN issuance.programme_versions v ON v.programme_id = p.id AND v.version = p.current_version`;

export async function findProgramme(tx: Tx, id: string, lock = false): Promise<ProgrammeView | null> {
  const rows = await tx.query(`${PROGRAMME_SELECT} WHERE p.id = $1 ${lock ? 'FOR UPDATE OF p' : ''}`, [id]);
  return rows[0] ?? null;
}

export function programmeEvent(p: ProgrammeView): ProgrammeEvent {
  return {
    programmeId: p.id,
    province: p.province as ProgrammeEvent['province'],
    year: p.year,
    version: p.version,
    status: p.status === 'closed' ? 'closed' : 'open',
    offsetRateBp: p.offsetRateBp,
    annualCapFen: p.annualCapFen.toString(),
    budgetFen: p.budgetFen.toString(),
    mode: p.mode,
    publicityWorkingDays: p.publicityWorkingDays,
    matchingDeadlineMonths: p.matchingDeadlineMonths,
    rewardRateBp: p.rewardRateBp,
    rewardCapFen: p.rewardCapFen.toString(),
    effectiveFrom: p.effectiveFrom ? new Date(p.effectiveFrom).toISOString() : new Date(0).toISOString(),
  };
}

/** The ratio as an exact decimal string with at least two decimals: 1 → '1.00', 0.3333 → '0.3333'. */
export const REGION_COLUMNS = `id, province, name,
  CASE WHEN scale(trim_scale(matching_ratio)) <= 2 THEN to_char(matching_ratio, 'FM990.00') ELSE trim_scale(matching_ratio)::text END AS "matchingRatio",
  status, defaulting`;

export async function findRegion(tx: Tx, id: string): Promise<RegionView | null> {
  const rows = await tx.query(`SELECT ${REGION_COLUMNS} FROM issuance.regions WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function findEnterprise(tx: Tx, id: string, lock = false): Promise<EnterpriseView | null> {
  const rows = await tx.query(
    `SELECT e.id, e.credit_code AS "creditCode", e.name, e.province, e.region_id AS "regionId", e.status, e.decision_reason AS "decisionReason",
            COALESCE((SELECT json_agg(json_build_object('year', s.year, 'registrationNumber', s.registration_number) ORDER BY s.year)
                        FROM issuance.sme_registrations s WHERE s.enterprise_id = e.id), '[]'::json) AS "smeRegistrations"
       FROM issuance.enterprises e WHERE e.id = $1 ${lock ? 'FOR UPDATE OF e' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

/** An enterprise principal is the enterprise itself: org = its id or its credit code. */
export function actsForEnterprise(p: Principal, e: Pick<EnterpriseView, 'id' | 'creditCode'>): boolean {
  return p.role === Role.Enterprise && (p.org === e.id || p.org === e.creditCode);
}

/**
 * Who may read an enterprise: itself, the admin of its region, an operator of its province, the
 * delta desk and auditors. Others get NOT_FOUND, so ids of other organisations cannot be probed.
 */
export function assertMayRead(p: Principal, e: Pick<EnterpriseView, 'id' | 'creditCode' | 'regionId' | 'province'>): void {
  const ok =
    actsForEnterprise(p, e) ||
    (p.role === Role.RegionAdmin && p.org === e.regionId) ||
    (p.role === Role.ProgrammeOperator && p.province === e.province) ||
    p.role === Role.DeltaOperator ||
    p.role === Role.Auditor ||
    p.role === Role.Service;
  if (!ok) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
}

/** A programme operator acts for its own province only. */
export function assertOperatorOf(p: Principal, province: string, field = 'programmeId'): void {
  if (p.role !== Role.ProgrammeOperator) throw new DomainError(ErrorCode.FORBIDDEN, { message: `role ${p.role} may not do this` });
  if (p.province !== province) throw new DomainError(ErrorCode.FORBIDDEN, { field, message: 'an operator acts only for its own province' });
}
