import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run keeps, beside its claims in review (migration 1764000000406), how many of its claims are
 * approved, held by an objection, rejected and paid, and their V. A run's view (the operator's run
 * page and list, the answer of every step, the public publicity list) counted its claims by state
 * afresh, which for a million claims is a scan of 1–1.5 s per run shown. Each change of a claim's
 * state in a run is a set-wise statement that already counts the claims it changed, under the run's
 * row lock, so the counters move in the same transaction. The claims a run sent back (returned,
 * deferred) are no longer its own and are found through their index, as before. An in-review claim
 * may still be amended, so V is kept only for the states past review.
 */
const STATES = ['approved', 'held', 'rejected', 'paid'];

export class SettlementRunStateCounters1764000000407 implements MigrationInterface {
  name = 'SettlementRunStateCounters1764000000407';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE settlement.runs ${STATES
        .map((s) => `ADD COLUMN ${s}_count integer NOT NULL DEFAULT 0 CHECK (${s}_count >= 0), ADD COLUMN ${s}_fen bigint NOT NULL DEFAULT 0 CHECK (${s}_fen >= 0)`)
        .join(', ')}`,
    );
    await q.query(`UPDATE settlement.runs r SET ${STATES.map((s) => `${s}_count = c.${s}_count, ${s}_fen = c.${s}_fen`).join(', ')}
                     FROM (SELECT run_id, ${STATES
                       .map((s) => `count(*) FILTER (WHERE state = '${s}')::int AS ${s}_count, COALESCE(sum(voucher_fen) FILTER (WHERE state = '${s}'), 0)::bigint AS ${s}_fen`)
                       .join(', ')}
                             FROM settlement.claims WHERE run_id IS NOT NULL GROUP BY run_id) c
                    WHERE c.run_id = r.id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.runs ${STATES.map((s) => `DROP COLUMN ${s}_fen, DROP COLUMN ${s}_count`).join(', ')}`);
  }
}
