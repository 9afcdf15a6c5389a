import { ProviderView } from '@vc/contracts';
import { Tx } from '@vc/database';

export const SCHEMA = 'registry';

/** Columns of a provider as ProviderView; `suspended` is derived from unrepaired serious credit records (R-REG-4). */
export const PROVIDER_COLUMNS = `
  p.id, p.credit_code AS "creditCode", p.legal_name AS "legalName", p.unit_name AS "unitName", p.kind,
  p.province, p.province_name AS "provinceName", p.status, p.status_reason AS "statusReason",
  p.upheld_complaints AS "upheldComplaints", p.qualification_documents AS "qualificationDocuments",
  p.created_at AS "createdAt",
  EXISTS (SELECT 1 FROM registry.credit_records c
           WHERE c.credit_code = p.credit_code AND c.severity = 'serious' AND c.status = 'active'
             AND c.effective_from <= (now() AT TIME ZONE 'Asia/Shanghai')::date) AS suspended`;

export async function findProvider(tx: Tx, id: string, lock = false): Promise<ProviderView | null> {
  const rows = await tx.query(`SELECT ${PROVIDER_COLUMNS} FROM registry.providers p WHERE p.id = $1 ${lock ? 'FOR UPDATE OF p' : ''}`, [id]);
  return rows[0] ?? null;
}

export async function providersOfLegalEntity(tx: Tx, creditCode: string): Promise<ProviderView[]> {
  return tx.query(`SELECT ${PROVIDER_COLUMNS} FROM registry.providers p WHERE p.credit_code = $1 ORDER BY p.unit_name`, [creditCode]);
}

export function providerEventPayload(p: ProviderView, extra: Record<string, unknown> = {}) {
  return {
    providerId: p.id,
    creditCode: p.creditCode,
    unitName: p.unitName,
    legalName: p.legalName,
    province: p.province,
    kind: p.kind,
    status: p.status,
    suspended: p.suspended,
    ...extra,
  };
}
