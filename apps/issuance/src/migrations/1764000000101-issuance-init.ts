import { MigrationInterface, QueryRunner } from 'typeorm';

export class IssuanceInit1764000000101 implements MigrationInterface {
  name = 'IssuanceInit1764000000101';

  async up(q: QueryRunner): Promise<void> {
    // The tables every service schema has: outbox, idempotency, processed events, audit log (R-AUDIT-1).
    await q.query(`CREATE TABLE "issuance".outbox (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        subject text NOT NULL,
        aggregate_type text NOT NULL,
        aggregate_id text NOT NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished ON "issuance".outbox (id) WHERE published_at IS NULL`);
    await q.query(`CREATE TABLE "issuance".idempotency (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        reply json, -- json, not jsonb: a retry gets the first reply byte for byte (key order kept)
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE TABLE "issuance".processed_events (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await q.query(`CREATE TABLE "issuance".audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        principal_sub text NOT NULL,
        principal_role text NOT NULL,
        principal_org text NOT NULL,
        action text NOT NULL,
        entity_type text NOT NULL,
        entity_id text NOT NULL,
        reason text,
        data jsonb,
        correlation_id text
      )`);
    await q.query(`CREATE INDEX audit_log_entity ON "issuance".audit_log (entity_type, entity_id)`);
    await q.query(`CREATE FUNCTION "issuance".audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON "issuance".audit_log
        FOR EACH ROW EXECUTE FUNCTION "issuance".audit_log_append_only()`);
    await q.query(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "issuance".audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION "issuance".audit_log_append_only()`);
    await q.query(`
      CREATE TABLE issuance.programmes (
        id text PRIMARY KEY,
        province text NOT NULL CHECK (province IN ('SH','JS','ZJ','AH')),
        year int NOT NULL,
        status text NOT NULL CHECK (status IN ('draft','open','closed')),
        current_version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        opened_at timestamptz,
        closed_at timestamptz,
        UNIQUE (province, year)
      )`);
    await q.query(`
      CREATE TABLE issuance.programme_versions (
        programme_id text NOT NULL REFERENCES issuance.programmes(id),
        version int NOT NULL,
        offset_rate_bp int NOT NULL CHECK (offset_rate_bp > 0 AND offset_rate_bp <= 10000),
        annual_cap_fen bigint NOT NULL CHECK (annual_cap_fen > 0),
        budget_fen bigint NOT NULL CHECK (budget_fen > 0),
        mode text NOT NULL CHECK (mode IN ('provider_redeems','enterprise_reimbursed')),
        publicity_working_days int NOT NULL CHECK (publicity_working_days > 0),
        matching_deadline_months int NOT NULL CHECK (matching_deadline_months > 0),
        reward_rate_bp int NOT NULL CHECK (reward_rate_bp >= 0 AND reward_rate_bp <= 500),
        reward_cap_fen bigint NOT NULL CHECK (reward_cap_fen >= 0),
        effective_from timestamptz,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (programme_id, version)
      )`);
    await q.query(`
      CREATE TABLE issuance.regions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        province text NOT NULL CHECK (province IN ('SH','JS','ZJ','AH')),
        name text NOT NULL,
        matching_ratio numeric(8,4) NOT NULL DEFAULT 1.00 CHECK (matching_ratio >= 0),
        status text NOT NULL CHECK (status IN ('active','withdrawn')) DEFAULT 'active',
        defaulting boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (province, name)
      )`);
    await q.query(`
      CREATE TABLE issuance.enterprises (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        credit_code char(18) NOT NULL UNIQUE,
        name text NOT NULL,
        province text NOT NULL,
        region_id uuid NOT NULL REFERENCES issuance.regions(id),
        status text NOT NULL CHECK (status IN ('pending','approved','rejected')) DEFAULT 'pending',
        decision_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz
      )`);
    await q.query(`CREATE INDEX enterprises_region ON issuance.enterprises (region_id, status)`);
    await q.query(`
      CREATE TABLE issuance.sme_registrations (
        enterprise_id uuid NOT NULL REFERENCES issuance.enterprises(id),
        year int NOT NULL,
        registration_number text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (enterprise_id, year)
      )`);
    await q.query(`
      CREATE TABLE issuance.quota_years (
        enterprise_id uuid NOT NULL REFERENCES issuance.enterprises(id),
        programme_id text NOT NULL REFERENCES issuance.programmes(id),
        year int NOT NULL,
        cap_fen bigint NOT NULL,
        claimed_fen bigint NOT NULL CHECK (claimed_fen >= 0 AND claimed_fen <= cap_fen),
        PRIMARY KEY (enterprise_id, programme_id)
      )`);
    await q.query(`
      CREATE TABLE issuance.quota_claims (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        enterprise_id uuid NOT NULL REFERENCES issuance.enterprises(id),
        programme_id text NOT NULL REFERENCES issuance.programmes(id),
        year int NOT NULL,
        amount_fen bigint NOT NULL CHECK (amount_fen > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX quota_claims_enterprise ON issuance.quota_claims (enterprise_id, programme_id)`);
    await q.query(`
      CREATE TABLE issuance.ledger_entries (
        id bigserial PRIMARY KEY,
        entry_type text NOT NULL CHECK (entry_type IN ('budget_set','quota_claimed')),
        programme_id text NOT NULL,
        enterprise_id uuid,
        amount_fen bigint NOT NULL CHECK (amount_fen > 0),
        ref text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ledger_entries_programme ON issuance.ledger_entries (programme_id, entry_type)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE issuance.ledger_entries, issuance.quota_claims, issuance.quota_years, issuance.sme_registrations,
      issuance.enterprises, issuance.regions, issuance.programme_versions, issuance.programmes`);
    await q.query(`DROP TABLE "issuance".audit_log`);
    await q.query(`DROP FUNCTION "issuance".audit_log_append_only`);
    await q.query(`DROP TABLE "issuance".processed_events`);
    await q.query(`DROP TABLE "issuance".idempotency`);
    await q.query(`DROP TABLE "issuance".outbox`);
  }
}
