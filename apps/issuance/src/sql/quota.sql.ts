import { QuotaYearView } from '@vc/contracts';
import { Tx } from '@vc/database';
import { Fen } from '@vc/domain';
import { Work } from '@vc/platform';
import { quotaValidUntil, remainingCap } from '../quota-rules';

export interface QuotaClaimRequest {
  enterpriseId: string;
  programmeId: string;
  year: number;
  capFen: Fen;
  amountFen: Fen;
}

/**
 * R-QUOTA-1: the cap check and the claim are ONE statement on the enterprise-year row, so N
 * parallel claims serialise on that row and together never pass the cap; an over-cap claim
 * matches nothing and changes nothing (refused whole). The cap is the current version's: a
 * version never takes back what was claimed under an earlier one (R-PROG-1). Returns null when
 * the claim does not fit.
 */
export async function claimWithinCap(work: Work, c: QuotaClaimRequest): Promise<{ claimedFen: Fen; capFen: Fen } | null> {
  const [row] = await work.query<{ claimedFen: Fen; capFen: Fen }>(
    `INSERT INTO issuance.quota_years AS q (enterprise_id, programme_id, year, cap_fen, claimed_fen)
     SELECT $1, $2, $3, $4::bigint, $5::bigint WHERE $5::bigint <= $4::bigint
     ON CONFLICT (enterprise_id, programme_id) DO UPDATE
       SET claimed_fen = q.claimed_fen + EXCLUDED.claimed_fen, cap_fen = EXCLUDED.cap_fen
       WHERE q.claimed_fen + EXCLUDED.claimed_fen <= EXCLUDED.cap_fen
     RETURNING claimed_fen AS "claimedFen", cap_fen AS "capFen"`,
    [c.enterpriseId, c.programmeId, c.year, c.capFen.toString(), c.amountFen.toString()],
  );
  return row ?? null;
}

export async function claimedSoFar(tx: Tx, enterpriseId: string, programmeId: string): Promise<Fen> {
  const [row] = await tx.query(`SELECT claimed_fen AS "claimedFen" FROM issuance.quota_years WHERE enterprise_id = $1 AND programme_id = $2`, [
    enterpriseId,
    programmeId,
  ]);
  return row?.claimedFen ?? 0n;
}

export async function insertClaim(work: Work, c: QuotaClaimRequest): Promise<{ id: string; createdAt: Date }> {
  const [claim] = await work.query<{ id: string; createdAt: Date }>(
    `INSERT INTO issuance.quota_claims (enterprise_id, programme_id, year, amount_fen) VALUES ($1, $2, $3, $4) RETURNING id, created_at AS "createdAt"`,
    [c.enterpriseId, c.programmeId, c.year, c.amountFen.toString()],
  );
  return claim;
}

/**
 * Enterprise-years of an enterprise: one year, or every year it claimed in plus `currentYear`
 * (when that programme is not a draft). The cap shown is the programme's current one.
 */
export async function quotaYears(tx: Tx, enterpriseId: string, province: string, filter: { year?: number; currentYear: number }): Promise<QuotaYearView[]> {
  const rows: Array<{ programmeId: string; year: number; capFen: Fen; claimedFen: Fen; lapsedFen: Fen }> = await tx.query(
    `SELECT p.id AS "programmeId", p.year, v.annual_cap_fen AS "capFen",
            COALESCE(q.claimed_fen, 0::bigint) AS "claimedFen", COALESCE(q.lapsed_fen, 0::bigint) AS "lapsedFen"
       FROM issuance.programmes p
       JOIN issuance.programme_versions v ON v.programme_id = p.id AND v.version = p.current_version
       LEFT JOIN issuance.quota_years q ON q.programme_id = p.id AND q.enterprise_id = $1
      WHERE p.status <> 'draft'
        AND (q.enterprise_id IS NOT NULL OR p.province = $2)
        AND CASE WHEN $3::int IS NOT NULL THEN p.year = $3 ELSE (q.enterprise_id IS NOT NULL OR p.year = $4) END
      ORDER BY p.year`,
    [enterpriseId, province, filter.year ?? null, filter.currentYear],
  );
  if (rows.length === 0) return [];
  const claims: Array<{ programmeId: string; claimId: string; amountFen: Fen; claimedAt: string }> = await tx.query(
    `SELECT programme_id AS "programmeId", id AS "claimId", amount_fen AS "amountFen", created_at AS "claimedAt"
       FROM issuance.quota_claims WHERE enterprise_id = $1 AND programme_id = ANY($2::text[]) ORDER BY created_at, id`,
    [enterpriseId, rows.map((r) => r.programmeId)],
  );
  return rows.map((r) => ({
    year: r.year,
    programmeId: r.programmeId,
    capFen: r.capFen,
    claimedFen: r.claimedFen,
    remainingCapFen: remainingCap(r.capFen, r.claimedFen),
    lapsedFen: r.lapsedFen,
    validUntil: quotaValidUntil(r.year),
    claims: claims.filter((c) => c.programmeId === r.programmeId).map(({ programmeId: _p, ...claim }) => claim),
  }));
}
