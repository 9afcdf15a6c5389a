import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The publicity desk (R-PUB-1) takes objections as a real 公示 desk does: named and reachable, one
 * open objection per claim and contact, within caps per client address and per claim. Each
 * objection keeps its contact as the desk compares it (`contact_key`: an e-mail in lower case, a
 * phone as its digits) and the client address it came from. Objections filed before this keep
 * their contact in lower case as their key; two open ones of one claim and contact (which the
 * desk now refuses) keep theirs apart by their id, so that none is lost.
 */
export class SettlementObjectionDesk1764000000431 implements MigrationInterface {
  name = 'SettlementObjectionDesk1764000000431';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE settlement.objections ADD COLUMN contact_key text, ADD COLUMN client_address text`);
    await q.query(`
      UPDATE settlement.objections o SET contact_key = lower(btrim(o.objector_contact)) || CASE WHEN d.n > 1 THEN '#' || o.id ELSE '' END
        FROM (SELECT id, row_number() OVER (PARTITION BY run_id, claim_id, lower(btrim(objector_contact)), status = 'open' ORDER BY filed_at, id) AS n
                FROM settlement.objections) d
       WHERE d.id = o.id`);
    await q.query(`ALTER TABLE settlement.objections ALTER COLUMN contact_key SET NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX objections_open_per_contact ON settlement.objections (run_id, claim_id, contact_key) WHERE status = 'open'`);
    // the caps: objections of one address in the last day, open objections of one claim
    await q.query(`CREATE INDEX objections_address ON settlement.objections (client_address, filed_at) WHERE client_address IS NOT NULL`);
    await q.query(`CREATE INDEX objections_claim_status ON settlement.objections (claim_id, status)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX settlement.objections_claim_status`);
    await q.query(`DROP INDEX settlement.objections_address`);
    await q.query(`DROP INDEX settlement.objections_open_per_contact`);
    await q.query(`ALTER TABLE settlement.objections DROP COLUMN client_address, DROP COLUMN contact_key`);
  }
}
