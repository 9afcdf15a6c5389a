import { RegionEvent, RegionView } from '@vc/contracts';
import { Tx } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { canonicalMatchingRatio } from '../matching-ratio';

// numeric comes back as text; it is canonicalised in TypeScript, never through a float
export const REGION_COLUMNS = `id, province, name, matching_ratio::text AS "matchingRatio", status, defaulting`;

export function toRegionView(row: RegionView): RegionView {
  return { ...row, matchingRatio: canonicalMatchingRatio(row.matchingRatio) };
}

export async function findRegion(tx: Tx, id: string, lock?: 'update' | 'share'): Promise<RegionView | null> {
  const rows: RegionView[] = await tx.query(`SELECT ${REGION_COLUMNS} FROM issuance.regions WHERE id = $1 ${lock ? `FOR ${lock.toUpperCase()}` : ''}`, [id]);
  return rows[0] ? toRegionView(rows[0]) : null;
}

export async function getRegion(tx: Tx, id: string, lock?: 'update' | 'share'): Promise<RegionView> {
  const region = await findRegion(tx, id, lock);
  if (!region) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'regionId' });
  return region;
}

/**
 * A region event: the region's whole state at its version (migration 1764000000103), which the
 * statement that wrote the region returns (1 when registered, raised by every change under the
 * region's row lock), so that a consumer keeps the newest whatever order the events arrive in.
 */
export function regionEvent(r: RegionView, version: number): RegionEvent {
  return { regionId: r.id, province: r.province as RegionEvent['province'], name: r.name, matchingRatio: r.matchingRatio, status: r.status, version };
}
