import { Principal, toJson, toWire } from '@vc/contracts';
import { currentCorrelationId } from '@vc/logging';
import { Tx } from './data-source';

export interface AuditEntry {
  principal: Principal;
  action: string;
  entityType: string;
  entityId: string;
  reason?: string | null;
  data?: unknown;
}

/**
 * R-MONEY-1 on the wire: money in an audit record (a key ending in `Fen`) is an integer, whatever
 * form its source gave it: event payloads carry fen as decimal strings (FenJson), SQL sums come as
 * text. Applied when a record is written and when one is read (records written before this rule).
 */
export function moneyAsIntegers(value: unknown, key = ''): unknown {
  if (/Fen$/.test(key)) {
    if (typeof value === 'string' && /^-?\d{1,30}$/.test(value)) return BigInt(value);
    if (Array.isArray(value)) return value.map((v) => moneyAsIntegers(v, key));
  }
  if (Array.isArray(value)) return value.map((v) => moneyAsIntegers(v));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, moneyAsIntegers(v, k)]));
  }
  return value;
}

/** R-AUDIT-1: who, when, what and why, in the same transaction as the change. */
export async function audit(tx: Tx, schema: string, entry: AuditEntry): Promise<void> {
  await tx.query(
    `INSERT INTO "${schema}".audit_log (principal_sub, principal_role, principal_org, action, entity_type, entity_id, reason, data, correlation_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      entry.principal.sub,
      entry.principal.role,
      entry.principal.org,
      entry.action,
      entry.entityType,
      entry.entityId,
      entry.reason ?? null,
      entry.data === undefined ? null : toJson(moneyAsIntegers(entry.data)),
      currentCorrelationId() ?? null,
    ],
  );
}

export interface AuditPage {
  items: Array<Record<string, unknown>>;
  nextAfter: string | null;
}

/** Keyset paging over the audit log, newest last. */
export async function readAudit(
  tx: Tx,
  schema: string,
  query: { after?: string; limit: number; entityType?: string; entityId?: string },
): Promise<AuditPage> {
  const rows: Array<Record<string, unknown>> = await tx.query(
    `SELECT id::text AS id, at, principal_sub AS "principalSub", principal_role AS "principalRole", principal_org AS "principalOrg",
            action, entity_type AS "entityType", entity_id AS "entityId", reason, data, correlation_id AS "correlationId"
       FROM "${schema}".audit_log
      WHERE id > $1 AND ($2::text IS NULL OR entity_type = $2) AND ($3::text IS NULL OR entity_id = $3)
      ORDER BY id LIMIT $4`,
    [query.after ?? '0', query.entityType ?? null, query.entityId ?? null, query.limit],
  );
  const items = rows.map((row) => (row.data == null ? row : { ...row, data: toWire(moneyAsIntegers(row.data)) }));
  return { items, nextAfter: rows.length === query.limit ? String(rows[rows.length - 1].id) : null };
}
