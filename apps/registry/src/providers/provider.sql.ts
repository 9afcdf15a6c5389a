import { ProviderView } from '@vc/contracts';
import { queryRows, Tx } from '@vc/database';

export const SCHEMA = 'registry';

/**
 * Columns of a provider as ProviderView; `suspended` is derived from unrepaired serious credit
 * records in effect (R-REG-4). A record is filed only once in effect (by the business clock), so
 * the date condition matters only for records filed before that rule.
 */
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

function providerEventPayload(p: ProviderView, extra: Record<string, unknown>) {
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

/**
 * The payload of a provider event: the provider's whole state as it now stands, with its version
 * and the programmes it is excluded from (R-REG-2..4), so that a consumer keeps the newest state
 * whatever order events arrive in, and ignores an older one (migration 1764000000002). The version
 * is raised first, under the provider's row lock: a change to the provider committed before this
 * one is then seen by the read that follows (a new snapshot), and a later one waits for this
 * transaction and gets a higher version.
 */
export async function providerEvent(tx: Tx, providerId: string, extra: Record<string, unknown> = {}) {
  const [{ version }] = await queryRows<{ version: number }>(tx, `UPDATE registry.providers SET version = version + 1 WHERE id = $1 RETURNING version::int AS version`, [
    providerId,
  ]);
  const provider = (await findProvider(tx, providerId))!;
  const [{ excluded }] = await queryRows<{ excluded: string[] }>(
    tx,
    `SELECT COALESCE(array_agg(programme_id ORDER BY programme_id), '{}') AS excluded FROM registry.programme_exclusions WHERE provider_id = $1 AND lifted_at IS NULL`,
    [providerId],
  );
  return { ...providerEventPayload(provider, extra), version, excludedProgrammes: excluded };
}
