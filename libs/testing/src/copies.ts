import { CopyName } from '@vc/contracts';
import { sql } from './clients';

/** How often a keeper's instances read the copies' freshness (libs/platform CopyFreshness). */
const KEEPER_REFRESH_MS = 1000;

/**
 * Waits until the keeper `schema` (redemption, settlement) holds `copies` as fresh — a heartbeat
 * applied with every event before it, as a running owner's would be — and its instances have read
 * that (each reads it once a second). What an operator does before sending traffic to a service
 * just started: wait until its readiness details say its copies are fresh.
 */
export async function copiesFresh(databaseUrl: string, schema: string, copies: readonly CopyName[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await sql(
      databaseUrl,
      `SELECT copy FROM "${schema}".copy_freshness WHERE copy = ANY($1) AND fresh_as_of IS NOT NULL`,
      [copies],
    ).catch(() => []);
    if (rows.length === copies.length) break;
    if (Date.now() > deadline) throw new Error(`${schema}'s copies of ${copies.join(', ')} not fresh within ${timeoutMs} ms: no heartbeat of their owners applied`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, KEEPER_REFRESH_MS * 1.5));
}
