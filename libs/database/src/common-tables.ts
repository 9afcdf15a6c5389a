/**
 * Tables every service schema has: the transactional outbox, the request idempotency store,
 * processed event ids of idempotent consumers, and the append-only audit log (R-AUDIT-1), as
 * they are in force: for a test that needs a bare schema with them. The services' init migrations
 * carry frozen copies (a migration imports nothing but TypeORM); a later change to these tables
 * is a migration in each service and a change here.
 */
export function commonTablesUp(schema: string): string[] {
  const s = `"${schema}"`;
  return [
    `CREATE TABLE ${s}.outbox (
       id bigserial PRIMARY KEY,
       event_id uuid NOT NULL UNIQUE,
       subject text NOT NULL,
       aggregate_type text NOT NULL,
       aggregate_id text NOT NULL,
       envelope jsonb NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now(),
       published_at timestamptz
     )`,
    `CREATE INDEX outbox_unpublished ON ${s}.outbox (id) WHERE published_at IS NULL`,
    `CREATE TABLE ${s}.idempotency (
       scope text NOT NULL,
       key text NOT NULL,
       request_hash text NOT NULL,
       reply json, -- json, not jsonb: a retry gets the first reply byte for byte (key order kept)
       created_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (scope, key)
     )`,
    `CREATE TABLE ${s}.processed_events (
       consumer text NOT NULL,
       event_id uuid NOT NULL,
       processed_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (consumer, event_id)
     )`,
    `CREATE TABLE ${s}.audit_log (
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
     )`,
    `CREATE INDEX audit_log_entity ON ${s}.audit_log (entity_type, entity_id)`,
    `CREATE FUNCTION ${s}.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       RAISE EXCEPTION 'audit_log is append-only';
     END $$`,
    `CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON ${s}.audit_log
       FOR EACH ROW EXECUTE FUNCTION ${s}.audit_log_append_only()`,
    `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ${s}.audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_log_append_only()`,
  ];
}

/**
 * The functions of the tables above as they are in force, for each service's home of its
 * functions (apps/<service>/src/sql/functions.ts).
 */
export function commonFunctions(schema: string): Record<string, string> {
  return {
    /** R-AUDIT-1: the audit log is append-only (its triggers call this). */
    audit_log_append_only: `
      CREATE OR REPLACE FUNCTION "${schema}".audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END $$`,
  };
}
