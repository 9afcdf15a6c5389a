import { EnterpriseEvent, EnterpriseView } from '@vc/contracts';
import { Tx } from '@vc/database';

export const ENTERPRISE_COLUMNS = `e.id, e.credit_code AS "creditCode", e.name, e.province, e.region_id AS "regionId", e.status,
  e.decision_reason AS "decisionReason",
  COALESCE((SELECT json_agg(json_build_object('year', s.year, 'registrationNumber', s.registration_number) ORDER BY s.year)
              FROM issuance.sme_registrations s WHERE s.enterprise_id = e.id), '[]'::json) AS "smeRegistrations"`;

export async function findEnterprise(tx: Tx, id: string, lock = false): Promise<EnterpriseView | null> {
  const rows = await tx.query(`SELECT ${ENTERPRISE_COLUMNS} FROM issuance.enterprises e WHERE e.id = $1 ${lock ? 'FOR UPDATE OF e' : ''}`, [id]);
  return rows[0] ?? null;
}

export function enterpriseEvent(e: EnterpriseView): EnterpriseEvent {
  return {
    enterpriseId: e.id,
    creditCode: e.creditCode,
    name: e.name,
    province: e.province as EnterpriseEvent['province'],
    regionId: e.regionId,
    status: e.status,
    reason: e.decisionReason,
  };
}
