import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events this service received and did not apply — unsigned, signed by a key it does not trust or
 * by a service that does not own the type, on the wrong subject, malformed, or a copy of one
 * applied already — are kept here with the reason, for operators and auditors (append-only, as the
 * audit log). processed_events gains the stream sequence an event was applied from, so that a
 * redelivery of that message is told from another copy of the event.
 */
export class RedemptionQuarantine1764000000206 implements MigrationInterface {
  name = 'RedemptionQuarantine1764000000206';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE redemption.processed_events ADD COLUMN stream_seq bigint`);
    await q.query(`
      CREATE TABLE redemption.quarantined_events (
        id bigserial PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now(),
        consumer text NOT NULL,
        subject text NOT NULL,
        stream_seq bigint,
        reason text NOT NULL,
        detail text NOT NULL,
        event_id text,
        event_type text,
        signer text,
        key_id text,
        headers jsonb NOT NULL,
        body text NOT NULL,
        body_bytes int NOT NULL
      )`);
    await q.query(`CREATE INDEX quarantined_events_reason ON redemption.quarantined_events (reason, id)`);
    await q.query(`CREATE TRIGGER quarantined_events_no_update BEFORE UPDATE OR DELETE ON redemption.quarantined_events
      FOR EACH ROW EXECUTE FUNCTION redemption.audit_log_append_only()`);
    await q.query(`CREATE TRIGGER quarantined_events_no_truncate BEFORE TRUNCATE ON redemption.quarantined_events
      FOR EACH STATEMENT EXECUTE FUNCTION redemption.audit_log_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE redemption.quarantined_events`);
    await q.query(`ALTER TABLE redemption.processed_events DROP COLUMN stream_seq`);
  }
}
