import { MigrationInterface, QueryRunner } from 'typeorm';

export class RegistryInit1764000000001 implements MigrationInterface {
  name = 'RegistryInit1764000000001';

  async up(q: QueryRunner): Promise<void> {
    // The tables every service schema has: outbox, idempotency, processed events, audit log (R-AUDIT-1).
    await q.query(`CREATE TABLE "registry".outbox (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        subject text NOT NULL,
        aggregate_type text NOT NULL,
        aggregate_id text NOT NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished ON "registry".outbox (id) WHERE published_at IS NULL`);
    await q.query(`CREATE TABLE "registry".idempotency (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        reply json, -- json, not jsonb: a retry gets the first reply byte for byte (key order kept)
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE TABLE "registry".processed_events (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await q.query(`CREATE TABLE "registry".audit_log (
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
    await q.query(`CREATE INDEX audit_log_entity ON "registry".audit_log (entity_type, entity_id)`);
    await q.query(`CREATE FUNCTION "registry".audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON "registry".audit_log
        FOR EACH ROW EXECUTE FUNCTION "registry".audit_log_append_only()`);
    await q.query(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "registry".audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION "registry".audit_log_append_only()`);
    await q.query(`
      CREATE TABLE registry.providers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        credit_code char(18) NOT NULL,
        unit_name text NOT NULL,
        legal_name text NOT NULL,
        kind text NOT NULL,
        province text NOT NULL CHECK (province IN ('SH','JS','ZJ','AH','OTHER')),
        province_name text,
        status text NOT NULL CHECK (status IN ('pending_review','active','rejected','revoked')),
        qualification_documents jsonb NOT NULL DEFAULT '[]',
        contact jsonb,
        status_reason text,
        upheld_complaints int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (credit_code, unit_name)
      )`);
    await q.query(`CREATE INDEX providers_search ON registry.providers (province, kind, status)`);
    await q.query(`CREATE INDEX providers_credit_code ON registry.providers (credit_code)`);
    await q.query(`
      CREATE TABLE registry.service_offerings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider_id uuid NOT NULL REFERENCES registry.providers(id),
        category text NOT NULL,
        name text NOT NULL,
        description text,
        price_fen bigint NOT NULL CHECK (price_fen > 0 AND price_fen <= 1000000000000),
        unit text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX service_offerings_provider ON registry.service_offerings (provider_id)`);
    await q.query(`
      CREATE TABLE registry.complaints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider_id uuid NOT NULL REFERENCES registry.providers(id),
        filed_by_sub text NOT NULL,
        filed_by_org text NOT NULL,
        category text NOT NULL CHECK (category IN ('service_quality','violation')),
        description text NOT NULL,
        status text NOT NULL CHECK (status IN ('open','upheld','dismissed')) DEFAULT 'open',
        decision_reason text,
        decided_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz
      )`);
    await q.query(`CREATE INDEX complaints_provider ON registry.complaints (provider_id, status)`);
    await q.query(`
      CREATE TABLE registry.credit_records (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        credit_code char(18) NOT NULL,
        severity text NOT NULL CHECK (severity IN ('general','serious')),
        filed_by_province text NOT NULL,
        reason text NOT NULL,
        effective_from date NOT NULL,
        effective_to date,
        status text NOT NULL CHECK (status IN ('active','repaired')) DEFAULT 'active',
        repair_reason text,
        repaired_by text,
        repaired_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX credit_records_code ON registry.credit_records (credit_code, status)`);
    await q.query(`
      CREATE TABLE registry.programme_exclusions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        programme_id text NOT NULL,
        provider_id uuid NOT NULL REFERENCES registry.providers(id),
        reason text NOT NULL,
        excluded_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        lifted_at timestamptz,
        lifted_by text
      )`);
    await q.query(`CREATE UNIQUE INDEX programme_exclusions_active ON registry.programme_exclusions (programme_id, provider_id) WHERE lifted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE registry.programme_exclusions, registry.credit_records, registry.complaints, registry.service_offerings, registry.providers');
    await q.query(`DROP TABLE "registry".audit_log`);
    await q.query(`DROP FUNCTION "registry".audit_log_append_only`);
    await q.query(`DROP TABLE "registry".processed_events`);
    await q.query(`DROP TABLE "registry".idempotency`);
    await q.query(`DROP TABLE "registry".outbox`);
  }
}
