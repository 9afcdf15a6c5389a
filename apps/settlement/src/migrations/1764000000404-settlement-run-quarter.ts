import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Collection without index writes. A run is (programme, quarter), so each claim is filed at
 * submission under the run that will take it: `run_quarter`, the Asia/Shanghai quarter of its
 * submission, or NULL when a run of that quarter (or a later one) already exists, and again NULL
 * when a run sends it back (returned, deferred) — NULL means "the next run of the programme".
 *
 * The claims are found through (programme_id, run_quarter), which a run's collection does not
 * change for the claims of its own quarter, and `run_id` is in no index or index predicate any
 * more. Every one of a run's updates (collected, decided, paid) is then a HOT update: a new row
 * version on the same page and no index entry. Before, collection changed the indexed `run_id` and
 * wrote a second entry of every claim into the random-uuid primary key, splitting its pages
 * (docs/performance.md). `last_run_id` now names the run that sent a claim back, and is indexed
 * only where set.
 *
 * Upgrade with every settlement instance stopped: an instance of the former version would collect
 * claims without filing them under the run's quarter, and the run would not find them (ADR 0007).
 */
export class SettlementRunQuarter1764000000404 implements MigrationInterface {
  name = 'SettlementRunQuarter1764000000404';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.claims ADD COLUMN run_quarter text`);
    await q.query(`UPDATE settlement.claims c SET run_quarter = r.quarter FROM settlement.runs r WHERE c.run_id = r.id`);
    // Waiting claims: filed under their own quarter unless a run of it (or later) exists already;
    // claims sent back by a run (last_run_id set, run_id cleared) wait for the next run.
    await q.query(`
      UPDATE settlement.claims c SET run_quarter = w.quarter
        FROM (SELECT claim_id, to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY"Q"Q') AS quarter
                FROM settlement.claims WHERE run_id IS NULL AND last_run_id IS NULL) w
       WHERE c.claim_id = w.claim_id
         AND NOT EXISTS (SELECT 1 FROM settlement.runs r WHERE r.programme_id = c.programme_id AND r.quarter >= w.quarter)`);
    // last_run_id now names only the run that sent a claim back; before, collection set it on every claim.
    await q.query(`UPDATE settlement.claims SET last_run_id = NULL WHERE run_id IS NOT NULL AND last_run_id IS NOT NULL`);
    await q.query(`DROP INDEX settlement.claims_waiting`);
    await q.query(`DROP INDEX settlement.claims_run`);
    await q.query(`DROP INDEX settlement.claims_sent_back`);
    await q.query(`CREATE INDEX claims_run_quarter ON settlement.claims (programme_id, run_quarter)`);
    await q.query(`CREATE INDEX claims_sent_back ON settlement.claims (last_run_id) WHERE last_run_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX settlement.claims_sent_back`);
    await q.query(`DROP INDEX settlement.claims_run_quarter`);
    await q.query(`ALTER TABLE settlement.claims DROP COLUMN run_quarter`);
    // the former meaning: the run that holds the claim, or last held it
    await q.query(`UPDATE settlement.claims SET last_run_id = run_id WHERE run_id IS NOT NULL`);
    await q.query(`CREATE INDEX claims_waiting ON settlement.claims (programme_id, submitted_at) WHERE run_id IS NULL`);
    await q.query(`CREATE INDEX claims_run ON settlement.claims (run_id)`);
    await q.query(`CREATE INDEX claims_sent_back ON settlement.claims (last_run_id) WHERE run_id IS NULL AND last_run_id IS NOT NULL`);
  }
}
