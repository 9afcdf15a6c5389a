import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A run keeps how many of its claims are still in review, and how many of those were drawn for
 * inspection. Every review request answers with both, and counting them meant reading all of the
 * run's claims: for a million claims with a 5 % sample, the fifty requests that approve the
 * inspected claims a thousand at a time spent 15 s counting. Only collection puts claims in review
 * and only review decisions take them out, both under the run's row lock, so the counters move
 * in the same statements' transactions. An index on the state cannot answer instead: it would make
 * every change of a claim's state a non-HOT update (ADR 0007).
 */
export class SettlementRunReviewCounters1764000000406 implements MigrationInterface {
  name = 'SettlementRunReviewCounters1764000000406';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.runs ADD COLUMN in_review_count integer NOT NULL DEFAULT 0 CHECK (in_review_count >= 0),
                     ADD COLUMN sampled_in_review_count integer NOT NULL DEFAULT 0 CHECK (sampled_in_review_count >= 0)`);
    await q.query(`UPDATE settlement.runs r SET in_review_count = c.n, sampled_in_review_count = c.sampled
                     FROM (SELECT run_id, count(*)::int AS n, count(*) FILTER (WHERE sampled)::int AS sampled
                             FROM settlement.claims WHERE run_id IS NOT NULL AND state = 'in_review' GROUP BY run_id) c
                    WHERE c.run_id = r.id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.runs DROP COLUMN sampled_in_review_count, DROP COLUMN in_review_count`);
  }
}
