import { Logger } from '@nestjs/common';
import { ClaimView, OrderView, ProgrammeMode } from '@vc/contracts';
import { Tx } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { Work } from '@vc/platform';

export const SCHEMA = 'redemption';

/** An order row as stored (snake_case; int8 columns arrive as bigint). */
export interface OrderRow {
  id: string;
  programme_id: string;
  programme_year: number;
  programme_version: number | null;
  offset_rate_bp: number | null;
  mode: ProgrammeMode | null;
  enterprise_id: string;
  enterprise_credit_code: string;
  provider_id: string;
  provider_credit_code: string;
  amount_fen: bigint;
  voucher_fen: bigint;
  enterprise_pays_fen: bigint | null;
  status: OrderView['status'];
  provider_confirmed_at: Date | null;
  enterprise_confirmed_at: Date | null;
}

export interface ClaimRow {
  id: string;
  order_id: string;
  programme_id: string;
  mode: ProgrammeMode;
  enterprise_id: string;
  enterprise_credit_code: string;
  provider_id: string;
  provider_credit_code: string;
  payee_type: 'provider' | 'enterprise';
  amount_fen: bigint;
  voucher_fen: bigint;
  owed_fen: bigint;
  contract_ref: string;
  invoice_number: string;
  invoice_code: string | null;
  /** the canonical key the claim holds its invoice by (libs/domain invoiceIdentity) */
  invoice_key: string;
  invoice_amount_fen: bigint;
  bank_transfer_ref: string;
  bank_amount_fen: bigint;
  status: ClaimView['status'];
  revision: number;
  /** R-CLAIM-3: the last amendment: proposed until settlement answers */
  amendment_status: 'proposed' | 'accepted' | 'refused' | null;
  amendment_revision: number | null;
  proposed_amendment: Record<string, unknown> | null;
}

export interface ProviderRow {
  id: string;
  creditCode: string;
  unitName: string;
  legalName: string;
  province: string;
  status: string;
  suspended: boolean;
}

export interface EnterpriseRow {
  id: string;
  creditCode: string;
  name: string;
  province: string;
  regionId: string;
  status: string;
}

type Reader = Work | Tx;

function rows<T>(db: Reader, sql: string, params: unknown[]): Promise<T[]> {
  return db instanceof Work ? db.query<T>(sql, params) : db.query(sql, params);
}

export async function findOrder(db: Reader, id: string, lock = false): Promise<(OrderRow & { view: OrderView }) | undefined> {
  const [row] = await rows<OrderRow & { view: OrderView }>(
    db,
    `SELECT o.*, redemption.order_json(o) AS view FROM redemption.orders o WHERE o.id = $1 ${lock ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return row;
}

/** The order after a change: its reply view and its event payload. */
export async function orderViewAndEvent(work: Work, id: string): Promise<{ view: OrderView; event: Record<string, unknown> }> {
  const [row] = await work.query(`SELECT redemption.order_json(o) AS view, redemption.order_event(o) AS event FROM redemption.orders o WHERE o.id = $1`, [id]);
  return row;
}

export async function findClaim(db: Reader, id: string, lock = false): Promise<(ClaimRow & { view: ClaimView }) | undefined> {
  const [row] = await rows<ClaimRow & { view: ClaimView }>(
    db,
    `SELECT c.*, redemption.claim_json(c) AS view FROM redemption.claims c WHERE c.id = $1 ${lock ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return row;
}

export async function claimViewAndEvent(work: Work, id: string): Promise<{ view: ClaimView; event: Record<string, unknown> }> {
  const [row] = await work.query(`SELECT redemption.claim_json(c) AS view, redemption.claim_event(c) AS event FROM redemption.claims c WHERE c.id = $1`, [id]);
  return row;
}

const PROVIDER_COLUMNS = `id, credit_code AS "creditCode", unit_name AS "unitName", legal_name AS "legalName", province, status, suspended`;
const ENTERPRISE_COLUMNS = `id, credit_code AS "creditCode", name, province, region_id AS "regionId", status`;

export async function findProvider(db: Reader, id: string): Promise<ProviderRow | undefined> {
  return (await rows<ProviderRow>(db, `SELECT ${PROVIDER_COLUMNS} FROM redemption.providers WHERE id = $1`, [id]))[0];
}

export async function findEnterprise(db: Reader, by: { id?: string; creditCode?: string }): Promise<EnterpriseRow | undefined> {
  const [row] = by.id
    ? await rows<EnterpriseRow>(db, `SELECT ${ENTERPRISE_COLUMNS} FROM redemption.enterprises WHERE id = $1`, [by.id])
    : await rows<EnterpriseRow>(db, `SELECT ${ENTERPRISE_COLUMNS} FROM redemption.enterprises WHERE credit_code = $1 ORDER BY updated_at DESC LIMIT 1`, [
        by.creditCode,
      ]);
  return row;
}

export interface ProgrammeRow {
  id: string;
  year: number;
  status: 'open' | 'closed';
}

/**
 * R-REG-2..4, R-ORDER-1: only an active, unsuspended provider not excluded by the programme takes
 * voucher orders, in an open programme; refused as redemption.standing_refusal says, the function
 * the payment paths and the quote ask too. Returns the programme.
 */
export async function assertStanding(db: Reader, providerId: string, programmeId: string): Promise<ProgrammeRow> {
  const [row] = await rows<{ refusal: { error: SqlRefusalDetail & { code: string } } | null; year: number; status: ProgrammeRow['status'] }>(
    db,
    `SELECT s.refusal, p.year, p.status FROM redemption.standing_refusal($1, $2) s LEFT JOIN redemption.programmes p ON p.id = $2`,
    [providerId, programmeId],
  );
  if (row.refusal) throw sqlRefusal(row.refusal.error.code, row.refusal.error);
  return { id: programmeId, year: row.year, status: row.status };
}

export interface VersionRow {
  version: number;
  offsetRateBp: number;
  mode: ProgrammeMode;
}

/** R-PROG-1: the version in effect at `at`: the newest whose effectiveFrom is not after it. */
export async function effectiveVersion(db: Reader, programmeId: string, at: Date): Promise<VersionRow> {
  const [row] = await rows<VersionRow>(
    db,
    `SELECT version, offset_rate_bp AS "offsetRateBp", mode FROM redemption.programme_versions
      WHERE programme_id = $1
      ORDER BY (effective_from <= $2) DESC, CASE WHEN effective_from <= $2 THEN version END DESC, version
      LIMIT 1`,
    [programmeId, at],
  );
  if (!row) throw new DomainError(ErrorCode.PROGRAMME_NOT_OPEN, { field: 'programmeId', message: `programme ${programmeId} is not open` });
  return row;
}

const logger = new Logger('redemption.sql');

const UNIQUE_CONSTRAINTS: Record<string, () => DomainError> = {
  // the pay function writes its key at the end: a same key racing for another order loses here
  idempotency_pkey: () => new DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, { field: 'Idempotency-Key', message: 'this Idempotency-Key was used with a different request' }),
  orders_external_ref: () => new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'externalRef', message: 'this provider already has an order with this externalRef' }),
  claims_order: () => new DomainError(ErrorCode.CLAIM_EXISTS, { field: 'orderId', message: 'the order already has a claim' }),
  claims_invoice: () => new DomainError(ErrorCode.DUPLICATE_INVOICE, { field: 'invoiceNumber', message: 'this invoice number already backs a claim' }),
};

/** What redemption.domain_error puts beside the code of a refusal. */
export interface SqlRefusalDetail {
  field?: string | null;
  message?: string;
  details?: Record<string, unknown> | null;
}

/** A refusal made in SQL (redemption.domain_error) as the DomainError it stands for. */
export function sqlRefusal(code: string, detail: SqlRefusalDetail): DomainError {
  const known = (Object.values(ErrorCode) as string[]).includes(code) ? (code as ErrorCode) : ErrorCode.INTERNAL;
  return new DomainError(known, { field: detail.field ?? undefined, message: detail.message, details: detail.details ?? undefined });
}

/**
 * Refusals raised in SQL (redemption.domain_error) become DomainErrors; known unique violations
 * become their codes; lock conflicts are retryable. Anything else passes through unchanged.
 */
export function fromPgError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  const e = ((err as { driverError?: unknown })?.driverError ?? err) as { code?: string; hint?: string; message?: string; detail?: string; constraint?: string };
  if (e?.code === 'P0001' && e.hint === 'vc-domain-error') {
    let detail: SqlRefusalDetail = {};
    try {
      detail = JSON.parse(e.detail ?? '{}');
    } catch {
      // the code alone is enough
    }
    return sqlRefusal(e.message ?? '', detail);
  }
  if (e?.code === '23505' && e.constraint && UNIQUE_CONSTRAINTS[e.constraint]) return UNIQUE_CONSTRAINTS[e.constraint]();
  if (e?.code === '40P01' || e?.code === '40001' || e?.code === '55P03') {
    logger.warn(`transaction conflict (${e.code}): ${e.message}`);
    return new DomainError(ErrorCode.UNAVAILABLE, { message: 'the request met a concurrent change; retry it with the same Idempotency-Key' });
  }
  return err;
}

/** Runs `fn` and maps database refusals to DomainErrors. */
export async function mapPg<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromPgError(err);
  }
}
