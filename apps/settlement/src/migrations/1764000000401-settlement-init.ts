import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Settlement's own schema. Projections of programmes, regions and claims are fed by events; runs,
 * instructions, objections, matching obligations, statements and rewards are settlement's records.
 *
 * Scale (a quarter of 10 million claims): every run step is one set-wise statement over the run's
 * claims. `claims` is indexed by (programme_id, submitted_at) for the claims still waiting for a
 * run (partial index) and by run_id; `state` itself is in no index and the table keeps free space
 * (fillfactor), so the review and payment transitions of a run are HOT updates that touch no index.
 */
export class SettlementInit1764000000401 implements MigrationInterface {
  name = 'SettlementInit1764000000401';

  async up(q: QueryRunner): Promise<void> {
    // The tables every service schema has: outbox, idempotency, processed events, audit log (R-AUDIT-1).
    await q.query(`CREATE TABLE "settlement".outbox (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        subject text NOT NULL,
        aggregate_type text NOT NULL,
        aggregate_id text NOT NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished ON "settlement".outbox (id) WHERE published_at IS NULL`);
    await q.query(`CREATE TABLE "settlement".idempotency (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        reply json, -- json, not jsonb: a retry gets the first reply byte for byte (key order kept)
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE TABLE "settlement".processed_events (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await q.query(`CREATE TABLE "settlement".audit_log (
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
    await q.query(`CREATE INDEX audit_log_entity ON "settlement".audit_log (entity_type, entity_id)`);
    await q.query(`CREATE FUNCTION "settlement".audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON "settlement".audit_log
        FOR EACH ROW EXECUTE FUNCTION "settlement".audit_log_append_only()`);
    await q.query(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "settlement".audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION "settlement".audit_log_append_only()`);
    await q.query(`
      CREATE TABLE settlement.programmes (
        id text PRIMARY KEY,
        province text NOT NULL,
        year int NOT NULL,
        version int NOT NULL,
        status text NOT NULL,
        mode text NOT NULL,
        publicity_working_days int NOT NULL,
        matching_deadline_months int NOT NULL,
        reward_rate_bp int NOT NULL,
        reward_cap_fen bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE settlement.programme_versions (
        programme_id text NOT NULL,
        version int NOT NULL,
        publicity_working_days int NOT NULL,
        matching_deadline_months int NOT NULL,
        reward_rate_bp int NOT NULL,
        reward_cap_fen bigint NOT NULL,
        effective_from timestamptz NOT NULL,
        PRIMARY KEY (programme_id, version)
      )`);
    await q.query(`
      CREATE TABLE settlement.regions (
        id uuid PRIMARY KEY,
        province text NOT NULL,
        name text NOT NULL,
        matching_ratio numeric(12,6) NOT NULL,
        status text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // R-MATCH-1: settlement's own verdict on a region, whether or not its projection row exists yet.
    await q.query(`
      CREATE TABLE settlement.region_status (
        region_id uuid PRIMARY KEY,
        defaulting boolean NOT NULL DEFAULT false,
        overdue_count int NOT NULL DEFAULT 0,
        overdue_fen bigint NOT NULL DEFAULT 0,
        defaulting_since timestamptz,
        checked_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE settlement.enterprises (
        id uuid PRIMARY KEY,
        credit_code text NOT NULL,
        name text NOT NULL,
        province text NOT NULL,
        region_id uuid NOT NULL
      )`);
    await q.query(`
      CREATE TABLE settlement.runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        programme_id text NOT NULL,
        province text NOT NULL,
        quarter text NOT NULL,
        quarter_end timestamptz NOT NULL,
        state text NOT NULL CHECK (state IN ('review','publicity','disbursing','paid','completed')),
        seed text NOT NULL,
        sample_rate_bp int NOT NULL,
        collected_count int NOT NULL DEFAULT 0,
        collected_fen bigint NOT NULL DEFAULT 0,
        published_on date,
        publicity_first_day date,
        publicity_last_day date,
        publicity_closes_at timestamptz,
        publicity_working_days int,
        paid_at timestamptz,
        paid_on date,
        instruction_count int NOT NULL DEFAULT 0,
        instruction_fen bigint NOT NULL DEFAULT 0,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (programme_id, quarter)
      )`);
    await q.query(`
      CREATE TABLE settlement.claims (
        claim_id uuid PRIMARY KEY,
        order_id uuid NOT NULL,
        programme_id text NOT NULL,
        programme_version int NOT NULL,
        mode text NOT NULL,
        enterprise_id uuid NOT NULL,
        enterprise_name text NOT NULL,
        region_id uuid NOT NULL,
        provider_id uuid NOT NULL,
        provider_name text NOT NULL,
        provider_credit_code text NOT NULL,
        provider_province text NOT NULL,
        payee_type text NOT NULL CHECK (payee_type IN ('provider','enterprise')),
        payee_id uuid NOT NULL,
        amount_fen bigint NOT NULL CHECK (amount_fen > 0),
        voucher_fen bigint NOT NULL CHECK (voucher_fen > 0),
        invoice_number text NOT NULL,
        submitted_at timestamptz NOT NULL,
        revision int NOT NULL DEFAULT 1,
        state text NOT NULL DEFAULT 'pending'
          CHECK (state IN ('pending','in_review','approved','held','returned','deferred','rejected','paid')),
        -- the run that holds the claim; cleared when a claim is returned or deferred to the next run
        run_id uuid,
        last_run_id uuid,
        sampled boolean NOT NULL DEFAULT false,
        flagged boolean NOT NULL DEFAULT false,
        decision_reason text,
        decided_at timestamptz,
        paid_at timestamptz
      ) WITH (fillfactor = 80)`);
    // R-CLAIM-2 flags may arrive before the claim they name; kept here and applied on arrival.
    await q.query(`
      CREATE TABLE settlement.claim_flags (
        flag_id uuid PRIMARY KEY,
        claim_id uuid NOT NULL,
        invoice_number text NOT NULL,
        flagged_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX claim_flags_claim ON settlement.claim_flags (claim_id)`);
    await q.query(`CREATE INDEX claims_waiting ON settlement.claims (programme_id, submitted_at) WHERE run_id IS NULL`);
    await q.query(`CREATE INDEX claims_run ON settlement.claims (run_id)`);
    await q.query(`CREATE INDEX claims_sent_back ON settlement.claims (last_run_id) WHERE run_id IS NULL AND last_run_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE settlement.instructions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        run_id uuid NOT NULL REFERENCES settlement.runs(id),
        programme_id text NOT NULL,
        payee_type text NOT NULL,
        payee_id uuid NOT NULL,
        payee_name text NOT NULL,
        claim_count int NOT NULL,
        total_fen bigint NOT NULL CHECK (total_fen > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (run_id, payee_type, payee_id)
      )`);
    await q.query(`
      CREATE TABLE settlement.objections (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        run_id uuid NOT NULL REFERENCES settlement.runs(id),
        claim_id uuid NOT NULL,
        objector_name text NOT NULL,
        objector_contact text NOT NULL,
        objector_principal text,
        reason text NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','upheld','dismissed','superseded')),
        decision_reason text,
        decided_by text,
        filed_at timestamptz NOT NULL,
        decided_at timestamptz
      )`);
    await q.query(`CREATE INDEX objections_run ON settlement.objections (run_id, status)`);
    await q.query(`CREATE INDEX objections_claim ON settlement.objections (claim_id)`);
    // One obligation per run, enterprise (and due date): Σ floor(V × ratio) over its paid claims (R-MATCH-1).
    await q.query(`
      CREATE TABLE settlement.matching_obligations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        run_id uuid NOT NULL REFERENCES settlement.runs(id),
        programme_id text NOT NULL,
        region_id uuid NOT NULL,
        enterprise_id uuid NOT NULL,
        enterprise_name text NOT NULL,
        claim_count int NOT NULL,
        voucher_fen bigint NOT NULL,
        matching_ratio numeric(12,6) NOT NULL,
        amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
        paid_fen bigint NOT NULL DEFAULT 0,
        provincial_paid_on date NOT NULL,
        due_on date NOT NULL,
        settled_at timestamptz,
        CHECK (paid_fen <= amount_fen),
        UNIQUE (run_id, enterprise_id, region_id, due_on)
      )`);
    await q.query(`CREATE INDEX matching_region ON settlement.matching_obligations (region_id, due_on) WHERE paid_fen < amount_fen`);
    await q.query(`
      CREATE TABLE settlement.matching_payments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        obligation_id uuid NOT NULL REFERENCES settlement.matching_obligations(id),
        region_id uuid NOT NULL,
        amount_fen bigint NOT NULL CHECK (amount_fen > 0),
        paid_on date NOT NULL,
        reference text NOT NULL,
        recorded_by text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX matching_payments_obligation ON settlement.matching_payments (obligation_id)`);
    // Per run × provider: the lines behind the cross-province statement (R-CLEAR-1).
    await q.query(`
      CREATE TABLE settlement.statement_lines (
        run_id uuid NOT NULL REFERENCES settlement.runs(id),
        programme_id text NOT NULL,
        issuing_province text NOT NULL,
        quarter text NOT NULL,
        provider_province text NOT NULL,
        provider_id uuid NOT NULL,
        provider_name text NOT NULL,
        provider_credit_code text NOT NULL,
        claim_count int NOT NULL,
        total_fen bigint NOT NULL,
        amount_fen bigint NOT NULL,
        PRIMARY KEY (run_id, provider_id)
      )`);
    await q.query(`CREATE INDEX statement_quarter ON settlement.statement_lines (quarter, programme_id)`);
    await q.query(`
      CREATE TABLE settlement.reward_grades (
        programme_id text NOT NULL,
        year int NOT NULL,
        provider_id uuid NOT NULL,
        grade text NOT NULL,
        graded_by text NOT NULL,
        graded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (programme_id, year, provider_id)
      )`);
    await q.query(`
      CREATE TABLE settlement.rewards (
        programme_id text NOT NULL,
        year int NOT NULL,
        provider_id uuid NOT NULL,
        provider_name text NOT NULL,
        credit_code text NOT NULL,
        service_total_fen bigint NOT NULL,
        uncapped_fen bigint NOT NULL,
        reward_fen bigint NOT NULL,
        computed_at timestamptz NOT NULL,
        PRIMARY KEY (programme_id, year, provider_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE settlement.rewards, settlement.reward_grades, settlement.statement_lines, settlement.matching_payments,
      settlement.matching_obligations, settlement.objections, settlement.instructions, settlement.claim_flags, settlement.claims, settlement.runs,
      settlement.enterprises, settlement.region_status, settlement.regions, settlement.programme_versions, settlement.programmes`);
    await q.query(`DROP TABLE "settlement".audit_log`);
    await q.query(`DROP FUNCTION "settlement".audit_log_append_only`);
    await q.query(`DROP TABLE "settlement".processed_events`);
    await q.query(`DROP TABLE "settlement".idempotency`);
    await q.query(`DROP TABLE "settlement".outbox`);
  }
}
