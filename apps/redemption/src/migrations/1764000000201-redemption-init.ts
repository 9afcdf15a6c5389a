import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The redemption schema: projections of upstream facts (programmes, enterprises, providers), the
 * live balances it owns (ADR 0003), orders, claims, the append-only ledger (R-LEDGER-1), and the
 * PL/pgSQL function that pays an order in one round trip (ADR 0004).
 */
export class RedemptionInit1764000000201 implements MigrationInterface {
  name = 'RedemptionInit1764000000201';

  async up(q: QueryRunner): Promise<void> {
    // The tables every service schema has: outbox, idempotency, processed events, audit log (R-AUDIT-1).
    await q.query(`CREATE TABLE "redemption".outbox (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        subject text NOT NULL,
        aggregate_type text NOT NULL,
        aggregate_id text NOT NULL,
        envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished ON "redemption".outbox (id) WHERE published_at IS NULL`);
    await q.query(`CREATE TABLE "redemption".idempotency (
        scope text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        reply json, -- json, not jsonb: a retry gets the first reply byte for byte (key order kept)
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE TABLE "redemption".processed_events (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
    await q.query(`CREATE TABLE "redemption".audit_log (
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
    await q.query(`CREATE INDEX audit_log_entity ON "redemption".audit_log (entity_type, entity_id)`);
    await q.query(`CREATE FUNCTION "redemption".audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON "redemption".audit_log
        FOR EACH ROW EXECUTE FUNCTION "redemption".audit_log_append_only()`);
    await q.query(`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "redemption".audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION "redemption".audit_log_append_only()`);

    // ---- projections, fed by events (issuance, registry) -------------------------------------
    await q.query(`
      CREATE TABLE redemption.programmes (
        id text PRIMARY KEY,
        province text NOT NULL,
        year int NOT NULL,
        status text NOT NULL CHECK (status IN ('open','closed')),
        current_version int NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE redemption.programme_versions (
        programme_id text NOT NULL,
        version int NOT NULL,
        offset_rate_bp int NOT NULL CHECK (offset_rate_bp > 0 AND offset_rate_bp <= 10000),
        mode text NOT NULL CHECK (mode IN ('provider_redeems','enterprise_reimbursed')),
        annual_cap_fen bigint NOT NULL,
        budget_fen bigint NOT NULL,
        effective_from timestamptz NOT NULL,
        PRIMARY KEY (programme_id, version)
      )`);
    await q.query(`
      CREATE TABLE redemption.enterprises (
        id uuid PRIMARY KEY,
        credit_code text NOT NULL,
        name text NOT NULL,
        province text NOT NULL,
        region_id text NOT NULL,
        status text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX enterprises_credit_code ON redemption.enterprises (credit_code)`);
    await q.query(`
      CREATE TABLE redemption.providers (
        id uuid PRIMARY KEY,
        credit_code text NOT NULL,
        unit_name text NOT NULL,
        legal_name text NOT NULL,
        province text NOT NULL,
        kind text,
        status text NOT NULL,
        suspended boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX providers_credit_code ON redemption.providers (credit_code)`);
    await q.query(`
      CREATE TABLE redemption.provider_exclusions (
        provider_id uuid NOT NULL,
        programme_id text NOT NULL,
        excluded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider_id, programme_id)
      )`);

    // ---- live balances (owned here, ADR 0003); never negative, whatever the code does -------
    // A programme's budget left is split over shard rows: every payment of the programme takes
    // from the budget, and a single row would serialise them all through each commit's fsync
    // (ADR 0004). The budget left is the sum of the shards; each shard is never negative.
    await q.query(`
      CREATE TABLE redemption.programme_budget (
        programme_id text PRIMARY KEY,
        credited_fen bigint NOT NULL DEFAULT 0 CHECK (credited_fen >= 0),
        shard_count smallint NOT NULL DEFAULT 16 CHECK (shard_count BETWEEN 1 AND 256)
      )`);
    await q.query(`
      CREATE TABLE redemption.budget_shards (
        programme_id text NOT NULL REFERENCES redemption.programme_budget(programme_id),
        shard smallint NOT NULL,
        left_fen bigint NOT NULL DEFAULT 0 CHECK (left_fen >= 0),
        PRIMARY KEY (programme_id, shard)
      ) WITH (fillfactor = 20)`);
    await q.query(`
      CREATE TABLE redemption.quota_balance (
        enterprise_id uuid NOT NULL,
        programme_id text NOT NULL,
        year int NOT NULL,
        granted_fen bigint NOT NULL DEFAULT 0 CHECK (granted_fen >= 0),
        left_fen bigint NOT NULL DEFAULT 0 CHECK (left_fen >= 0),
        lapsed_fen bigint NOT NULL DEFAULT 0 CHECK (lapsed_fen >= 0),
        lapsed_at timestamptz,
        PRIMARY KEY (enterprise_id, programme_id),
        CHECK (left_fen + lapsed_fen <= granted_fen)
      ) WITH (fillfactor = 50)`);
    // No index covers a balance column, so taking quota is a HOT update.
    await q.query(`CREATE INDEX quota_balance_year ON redemption.quota_balance (year, programme_id)`);

    // ---- orders and claims -------------------------------------------------------------------
    await q.query(`
      CREATE TABLE redemption.orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        programme_id text NOT NULL,
        programme_year int NOT NULL,
        programme_version int,
        offset_rate_bp int,
        mode text CHECK (mode IN ('provider_redeems','enterprise_reimbursed')),
        enterprise_id uuid NOT NULL,
        enterprise_credit_code text NOT NULL,
        provider_id uuid NOT NULL,
        provider_credit_code text NOT NULL,
        amount_fen bigint NOT NULL CHECK (amount_fen > 0 AND amount_fen <= 1000000000000),
        voucher_fen bigint NOT NULL DEFAULT 0 CHECK (voucher_fen >= 0 AND voucher_fen <= amount_fen),
        enterprise_pays_fen bigint CHECK (enterprise_pays_fen >= 0),
        status text NOT NULL CHECK (status IN ('created','confirmed','paid','completed','cancelled')),
        description text NOT NULL,
        external_ref text,
        created_by text NOT NULL,
        provider_confirmed_at timestamptz,
        enterprise_confirmed_at timestamptz,
        confirmed_at timestamptz,
        paid_at timestamptz,
        completed_at timestamptz,
        cancelled_at timestamptz,
        cancel_reason text,
        created_at timestamptz NOT NULL,
        CHECK (status IN ('created','cancelled') OR programme_version IS NOT NULL),
        CHECK (status NOT IN ('paid','completed') OR voucher_fen > 0)
      ) WITH (fillfactor = 70)`);
    // No index covers a column that changes with the order's state: state changes are HOT updates.
    await q.query(`CREATE INDEX orders_enterprise ON redemption.orders (enterprise_id, created_at DESC)`);
    await q.query(`CREATE INDEX orders_enterprise_code ON redemption.orders (enterprise_credit_code, created_at DESC)`);
    await q.query(`CREATE INDEX orders_provider ON redemption.orders (provider_id, created_at DESC)`);
    await q.query(`CREATE INDEX orders_provider_code ON redemption.orders (provider_credit_code, created_at DESC)`);
    await q.query(`CREATE INDEX orders_programme ON redemption.orders (programme_id, created_at DESC)`);
    await q.query(`CREATE UNIQUE INDEX orders_external_ref ON redemption.orders (provider_id, external_ref) WHERE external_ref IS NOT NULL`);

    await q.query(`
      CREATE TABLE redemption.claims (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL REFERENCES redemption.orders(id),
        programme_id text NOT NULL,
        programme_version int NOT NULL,
        mode text NOT NULL,
        enterprise_id uuid NOT NULL,
        enterprise_credit_code text NOT NULL,
        provider_id uuid NOT NULL,
        provider_credit_code text NOT NULL,
        payee_type text NOT NULL CHECK (payee_type IN ('provider','enterprise')),
        payee_id uuid NOT NULL,
        amount_fen bigint NOT NULL CHECK (amount_fen > 0),
        voucher_fen bigint NOT NULL CHECK (voucher_fen > 0),
        owed_fen bigint NOT NULL CHECK (owed_fen >= 0),
        contract_ref text NOT NULL,
        invoice_number text NOT NULL,
        invoice_key text GENERATED ALWAYS AS (upper(regexp_replace(invoice_number, '\\s', '', 'g'))) STORED,
        invoice_amount_fen bigint NOT NULL,
        bank_transfer_ref text NOT NULL,
        bank_amount_fen bigint NOT NULL,
        status text NOT NULL CHECK (status IN ('pending_review','approved','returned','rejected','paid')),
        revision int NOT NULL DEFAULT 1,
        submitted_by text NOT NULL,
        submitted_at timestamptz NOT NULL,
        amended_at timestamptz,
        decided_at timestamptz,
        decision_reason text,
        settlement_run_id text,
        paid_at timestamptz
      )`);
    // R-CLAIM-3: one claim per order. R-CLAIM-2: one claim per invoice number in the whole delta
    // (this service serves every programme, so one index covers every province).
    await q.query(`CREATE UNIQUE INDEX claims_order ON redemption.claims (order_id)`);
    await q.query(`CREATE UNIQUE INDEX claims_invoice ON redemption.claims (invoice_key)`);
    await q.query(`CREATE INDEX claims_programme ON redemption.claims (programme_id, status, submitted_at DESC)`);
    await q.query(`CREATE INDEX claims_enterprise ON redemption.claims (enterprise_id, submitted_at DESC)`);
    await q.query(`CREATE INDEX claims_enterprise_code ON redemption.claims (enterprise_credit_code, submitted_at DESC)`);
    await q.query(`CREATE INDEX claims_provider ON redemption.claims (provider_id, submitted_at DESC)`);
    await q.query(`CREATE INDEX claims_provider_code ON redemption.claims (provider_credit_code, submitted_at DESC)`);

    // Refused claims whose invoice already backs another claim: kept for inspection even though
    // the claim itself was refused (written in its own transaction).
    await q.query(`
      CREATE TABLE redemption.invoice_flags (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        invoice_number text NOT NULL,
        invoice_key text NOT NULL,
        order_id uuid NOT NULL REFERENCES redemption.orders(id),
        existing_claim_id uuid NOT NULL REFERENCES redemption.claims(id),
        flagged_by_sub text NOT NULL,
        flagged_by_role text NOT NULL,
        flagged_by_org text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (invoice_key, order_id)
      )`);

    // ---- the ledger (R-LEDGER-1): append-only, in the same transaction as each balance change --
    await q.query(`
      CREATE TABLE redemption.ledger_entries (
        id bigserial PRIMARY KEY,
        entry_type text NOT NULL CHECK (entry_type IN ('budget_credited','budget_taken','budget_returned',
                                                       'quota_granted','quota_taken','quota_returned','quota_lapsed')),
        programme_id text NOT NULL,
        enterprise_id uuid,
        order_id uuid,
        amount_fen bigint NOT NULL CHECK (amount_fen > 0),
        ref text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (entry_type NOT LIKE 'quota\\_%' OR enterprise_id IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX ledger_programme ON redemption.ledger_entries (programme_id, entry_type)`);
    await q.query(`CREATE INDEX ledger_enterprise ON redemption.ledger_entries (enterprise_id, programme_id) WHERE enterprise_id IS NOT NULL`);
    await q.query(`
      CREATE FUNCTION redemption.ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger_entries is append-only';
      END $$`);
    await q.query(`CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON redemption.ledger_entries
                     FOR EACH ROW EXECUTE FUNCTION redemption.ledger_append_only()`);
    await q.query(`CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON redemption.ledger_entries
                     FOR EACH STATEMENT EXECUTE FUNCTION redemption.ledger_append_only()`);

    // The identities the ledger check verifies; a row here is a difference (empty = balanced).
    await q.query(`
      CREATE VIEW redemption.budget_identity AS
      SELECT b.programme_id,
             (SELECT COALESCE(sum(s.left_fen), 0) FROM redemption.budget_shards s WHERE s.programme_id = b.programme_id)::bigint AS left_fen,
             (SELECT COALESCE(sum(CASE l.entry_type WHEN 'budget_credited' THEN l.amount_fen WHEN 'budget_taken' THEN -l.amount_fen
                                                    WHEN 'budget_returned' THEN l.amount_fen END), 0)
                FROM redemption.ledger_entries l WHERE l.programme_id = b.programme_id AND l.entry_type LIKE 'budget\\_%')::bigint AS ledger_left_fen
        FROM redemption.programme_budget b`);
    await q.query(`
      CREATE VIEW redemption.quota_identity AS
      SELECT q.enterprise_id, q.programme_id, q.left_fen, q.lapsed_fen,
             COALESCE(sum(CASE l.entry_type WHEN 'quota_granted' THEN l.amount_fen WHEN 'quota_taken' THEN -l.amount_fen
                                            WHEN 'quota_returned' THEN l.amount_fen WHEN 'quota_lapsed' THEN -l.amount_fen END), 0)::bigint AS ledger_left_fen
        FROM redemption.quota_balance q
        LEFT JOIN redemption.ledger_entries l ON l.enterprise_id = q.enterprise_id AND l.programme_id = q.programme_id AND l.entry_type LIKE 'quota\\_%'
       GROUP BY q.enterprise_id, q.programme_id, q.left_fen, q.lapsed_fen`);
    await q.query(`
      CREATE VIEW redemption.ledger_differences AS
      SELECT 'budget' AS balance, programme_id, NULL::uuid AS enterprise_id, left_fen, ledger_left_fen
        FROM redemption.budget_identity WHERE left_fen <> ledger_left_fen
      UNION ALL
      SELECT 'quota', programme_id, enterprise_id, left_fen, ledger_left_fen
        FROM redemption.quota_identity WHERE left_fen <> ledger_left_fen`);

    // ---- SQL helpers shared by the TypeScript use cases and the PL/pgSQL functions ----------
    await q.query(`
      CREATE FUNCTION redemption.iso(t timestamptz) RETURNS text LANGUAGE sql STABLE AS
      $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$`);

    // A refusal from SQL: the use case turns it into DomainError(code, { field, message, details }).
    await q.query(`
      CREATE FUNCTION redemption.domain_error(p_code text, p_field text, p_message text, p_details jsonb DEFAULT NULL)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = p_code, HINT = 'vc-domain-error',
          DETAIL = json_build_object('field', p_field, 'message', p_message, 'details', p_details)::text;
      END $$`);

    // The one view of an order, for every reply (TypeScript reads and the pay function alike).
    await q.query(`
      CREATE FUNCTION redemption.order_json(o redemption.orders) RETURNS json LANGUAGE sql STABLE AS $$
        SELECT json_build_object(
          'id', o.id, 'programmeId', o.programme_id, 'programmeVersion', o.programme_version, 'mode', o.mode,
          'offsetRateBp', o.offset_rate_bp, 'enterpriseId', o.enterprise_id, 'providerId', o.provider_id,
          'amountFen', o.amount_fen, 'voucherFen', o.voucher_fen, 'enterprisePaysFen', o.enterprise_pays_fen,
          'status', o.status, 'description', o.description, 'externalRef', o.external_ref,
          'providerConfirmedAt', redemption.iso(o.provider_confirmed_at),
          'enterpriseConfirmedAt', redemption.iso(o.enterprise_confirmed_at),
          'confirmedAt', redemption.iso(o.confirmed_at), 'paidAt', redemption.iso(o.paid_at),
          'completedAt', redemption.iso(o.completed_at), 'cancelledAt', redemption.iso(o.cancelled_at),
          'cancelReason', o.cancel_reason, 'createdAt', redemption.iso(o.created_at))
      $$`);
    await q.query(`
      CREATE FUNCTION redemption.order_event(o redemption.orders) RETURNS jsonb LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_object(
          'orderId', o.id, 'programmeId', o.programme_id, 'programmeVersion', o.programme_version,
          'enterpriseId', o.enterprise_id, 'providerId', o.provider_id, 'status', o.status,
          'amountFen', o.amount_fen, 'voucherFen', o.voucher_fen, 'enterprisePaysFen', o.enterprise_pays_fen)
      $$`);
    await q.query(`
      CREATE FUNCTION redemption.claim_json(c redemption.claims) RETURNS json LANGUAGE sql STABLE AS $$
        SELECT json_build_object(
          'id', c.id, 'orderId', c.order_id, 'programmeId', c.programme_id, 'programmeVersion', c.programme_version,
          'mode', c.mode, 'enterpriseId', c.enterprise_id, 'providerId', c.provider_id,
          'payeeType', c.payee_type, 'payeeId', c.payee_id, 'amountFen', c.amount_fen, 'voucherFen', c.voucher_fen,
          'owedFen', c.owed_fen, 'contractRef', c.contract_ref, 'invoiceNumber', c.invoice_number,
          'invoiceAmountFen', c.invoice_amount_fen, 'bankTransferRef', c.bank_transfer_ref, 'bankAmountFen', c.bank_amount_fen,
          'status', c.status, 'revision', c.revision, 'submittedAt', redemption.iso(c.submitted_at),
          'amendedAt', redemption.iso(c.amended_at), 'decidedAt', redemption.iso(c.decided_at),
          'decisionReason', c.decision_reason, 'paidAt', redemption.iso(c.paid_at))
      $$`);
    // Everything settlement needs about a claim (ClaimEvent), from the projections kept here.
    await q.query(`
      CREATE FUNCTION redemption.claim_event(c redemption.claims) RETURNS jsonb LANGUAGE sql STABLE AS $$
        SELECT jsonb_build_object(
          'claimId', c.id, 'orderId', c.order_id, 'programmeId', c.programme_id, 'programmeVersion', c.programme_version,
          'mode', c.mode, 'enterpriseId', c.enterprise_id, 'enterpriseName', e.name, 'enterpriseRegionId', e.region_id,
          'providerId', c.provider_id,
          'providerName', CASE WHEN p.unit_name = p.legal_name THEN p.legal_name ELSE p.legal_name || ' ' || p.unit_name END,
          'providerLegalName', p.legal_name, 'providerUnitName', p.unit_name,
          'providerCreditCode', p.credit_code, 'providerProvince', p.province,
          'payeeType', c.payee_type, 'payeeId', c.payee_id, 'amountFen', c.amount_fen, 'voucherFen', c.voucher_fen,
          'owedFen', c.owed_fen, 'contractRef', c.contract_ref, 'invoiceNumber', c.invoice_number,
          'invoiceAmountFen', c.invoice_amount_fen, 'bankTransferRef', c.bank_transfer_ref, 'bankAmountFen', c.bank_amount_fen,
          'revision', c.revision, 'submittedAt', redemption.iso(c.submitted_at), 'status', 'pending_review')
          FROM redemption.providers p, redemption.enterprises e
         WHERE p.id = c.provider_id AND e.id = c.enterprise_id
      $$`);
    // The outbox row of an event written from SQL, in the same envelope as addToOutbox().
    // (PL/pgSQL, not SQL: its plan is cached per session instead of re-planned on each call.)
    await q.query(`
      CREATE FUNCTION redemption.emit(p_subject text, p_aggregate_type text, p_aggregate_id text, p_payload jsonb, p_correlation_id text)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        e uuid := gen_random_uuid();
      BEGIN
        INSERT INTO redemption.outbox (event_id, subject, aggregate_type, aggregate_id, envelope)
        VALUES (e, p_subject, p_aggregate_type, p_aggregate_id,
                jsonb_build_object('id', e, 'type', p_subject, 'aggregateType', p_aggregate_type, 'aggregateId', p_aggregate_id,
                                   'occurredAt', redemption.iso(clock_timestamp()))
                || CASE WHEN p_correlation_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('correlationId', p_correlation_id) END
                || jsonb_build_object('payload', p_payload));
      END $$`);

    // ---- budget shards ------------------------------------------------------------------------
    // The shard an order takes from and returns to: fixed by its id, spread evenly (uuid v4 bytes).
    await q.query(`
      CREATE FUNCTION redemption.budget_shard_of(p_order_id uuid, p_shard_count smallint) RETURNS smallint LANGUAGE sql IMMUTABLE AS
      $$ SELECT (get_byte(uuid_send(p_order_id), 15) % p_shard_count)::smallint $$`);
    await q.query(`
      CREATE FUNCTION redemption.budget_left(p_programme_id text) RETURNS bigint LANGUAGE sql STABLE AS
      $$ SELECT COALESCE(sum(left_fen), 0)::bigint FROM redemption.budget_shards WHERE programme_id = p_programme_id $$`);
    // Issuance reports the programme's total budget; the increase over what was credited is spread
    // over the shards (ledger budget_credited). Returns the amount credited (0 when nothing new).
    await q.query(`
      CREATE FUNCTION redemption.credit_budget(p_programme_id text, p_total bigint, p_ref text) RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE
        b redemption.programme_budget%ROWTYPE;
        delta bigint;
      BEGIN
        INSERT INTO redemption.programme_budget (programme_id) VALUES (p_programme_id) ON CONFLICT DO NOTHING;
        SELECT * INTO b FROM redemption.programme_budget WHERE programme_id = p_programme_id FOR UPDATE;
        INSERT INTO redemption.budget_shards (programme_id, shard)
        SELECT p_programme_id, g FROM generate_series(0, b.shard_count - 1) g ON CONFLICT DO NOTHING;
        delta := p_total - b.credited_fen;
        IF delta <= 0 THEN
          RETURN 0;
        END IF;
        PERFORM 1 FROM redemption.budget_shards WHERE programme_id = p_programme_id ORDER BY shard FOR UPDATE;
        UPDATE redemption.budget_shards
           SET left_fen = left_fen + delta / b.shard_count + CASE WHEN shard < delta % b.shard_count THEN 1 ELSE 0 END
         WHERE programme_id = p_programme_id;
        UPDATE redemption.programme_budget SET credited_fen = p_total WHERE programme_id = p_programme_id;
        INSERT INTO redemption.ledger_entries (entry_type, programme_id, amount_fen, ref) VALUES ('budget_credited', p_programme_id, delta, p_ref);
        RETURN delta;
      END $$`);
    // V back to the budget (cancelled order, rejected claim), into the order's own shard.
    await q.query(`
      CREATE FUNCTION redemption.return_budget(p_programme_id text, p_enterprise_id uuid, p_order_id uuid, p_amount bigint, p_ref text, p_at timestamptz)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE redemption.budget_shards s SET left_fen = s.left_fen + p_amount
          FROM redemption.programme_budget b
         WHERE b.programme_id = p_programme_id AND s.programme_id = p_programme_id
           AND s.shard = redemption.budget_shard_of(p_order_id, b.shard_count);
        IF NOT FOUND THEN
          RAISE EXCEPTION 'programme % has no budget to return to', p_programme_id;
        END IF;
        INSERT INTO redemption.ledger_entries (entry_type, programme_id, enterprise_id, order_id, amount_fen, ref, created_at)
        VALUES ('budget_returned', p_programme_id, p_enterprise_id, p_order_id, p_amount, p_ref, p_at);
      END $$`);

    // ---- the hot path: one call pays an order (R-OFFSET-1..3, R-AUDIT-1, R-LEDGER-1) ----------
    await q.query(`
      CREATE FUNCTION redemption.pay_order(
        p_scope text, p_key text, p_hash text, p_order_id uuid,
        p_sub text, p_role text, p_org text, p_now timestamptz, p_correlation_id text
      ) RETURNS json LANGUAGE plpgsql AS $$
      DECLARE
        o redemption.orders%ROWTYPE;
        prior record;
        prov record;
        prog record;
        n_shards smallint;
        my_shard smallint;
        by_rate bigint;
        q_left bigint;
        b_left bigint;
        m bigint;
        v bigint;
        rest bigint;
        take bigint;
        sh record;
        pays bigint;
        limited_by text;
        v_reply json;
      BEGIN
        -- Lock order everywhere: order row, quota row, budget shard(s) (no deadlocks).
        SELECT * INTO o FROM redemption.orders WHERE id = p_order_id FOR UPDATE;
        -- Idempotency after the order lock: a concurrent duplicate waits on the lock, then finds
        -- the first call's committed reply here. The key row is written with the reply at the end;
        -- a same key for another order racing to commit fails on its primary key (IDEMPOTENCY_CONFLICT).
        SELECT request_hash, i.reply INTO prior FROM redemption.idempotency i WHERE scope = p_scope AND key = p_key;
        IF FOUND THEN
          IF prior.request_hash <> p_hash THEN
            PERFORM redemption.domain_error('IDEMPOTENCY_CONFLICT', 'Idempotency-Key', 'this Idempotency-Key was used with a different request');
          END IF;
          RETURN prior.reply;
        END IF;
        -- Another organisation's order is answered as not found, so that ids cannot be probed.
        IF o.id IS NULL OR NOT ((p_role = 'enterprise' AND p_org IN (o.enterprise_id::text, o.enterprise_credit_code))
                             OR (p_role = 'provider' AND p_org IN (o.provider_id::text, o.provider_credit_code))) THEN
          PERFORM redemption.domain_error('NOT_FOUND', 'orderId', 'no such order');
        END IF;
        IF o.status <> 'confirmed' THEN
          PERFORM redemption.domain_error('ILLEGAL_STATE', 'orderId',
            format('order is %s; a voucher pays a confirmed order once', o.status), jsonb_build_object('status', o.status));
        END IF;
        -- R-REG-2..4: revocation, suspension and exclusion stop new voucher payments at once.
        SELECT status, suspended INTO prov FROM redemption.providers WHERE id = o.provider_id;
        IF NOT FOUND OR prov.status <> 'active' OR prov.suspended THEN
          PERFORM redemption.domain_error('PROVIDER_NOT_ACTIVE', 'providerId',
            CASE WHEN prov.suspended THEN 'provider is suspended by a serious credit record' ELSE format('provider is %s', coalesce(prov.status, 'unknown')) END);
        END IF;
        IF EXISTS (SELECT 1 FROM redemption.provider_exclusions WHERE provider_id = o.provider_id AND programme_id = o.programme_id) THEN
          PERFORM redemption.domain_error('PROVIDER_EXCLUDED', 'providerId', format('provider is excluded from programme %s', o.programme_id));
        END IF;
        SELECT status, year INTO prog FROM redemption.programmes WHERE id = o.programme_id;
        IF NOT FOUND OR prog.status <> 'open' THEN
          PERFORM redemption.domain_error('PROGRAMME_NOT_OPEN', 'programmeId', format('programme %s is not open', o.programme_id));
        END IF;
        -- R-QUOTA-2: quota is valid until 31 December of its year, Asia/Shanghai.
        IF p_now >= make_timestamptz(prog.year + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai') THEN
          PERFORM redemption.domain_error('QUOTA_EXHAUSTED', 'orderId',
            format('the quota of %s lapsed at the end of the year', prog.year), jsonb_build_object('quotaLeftFen', 0));
        END IF;

        -- R-OFFSET-1: V = min(floor(A × rate), quota left, budget left); bigint division floors.
        by_rate := (o.amount_fen * o.offset_rate_bp) / 10000;
        IF by_rate <= 0 THEN
          PERFORM redemption.domain_error('INVALID_AMOUNT', 'amountFen', 'the voucher part of this amount rounds down to 0 fen');
        END IF;
        SELECT left_fen INTO q_left FROM redemption.quota_balance
         WHERE enterprise_id = o.enterprise_id AND programme_id = o.programme_id FOR UPDATE;
        IF coalesce(q_left, 0) = 0 THEN
          PERFORM redemption.domain_error('QUOTA_EXHAUSTED', 'orderId', 'the enterprise has no quota left in this programme',
            jsonb_build_object('quotaLeftFen', 0));
        END IF;
        m := LEAST(by_rate, q_left);

        -- R-OFFSET-2: take m from the order's budget shard with a conditional update (row lock:
        -- first come, first served; never below 0). When that shard holds less, lock every shard of
        -- the programme in shard order and take min(m, budget left) across them.
        SELECT b.shard_count INTO n_shards FROM redemption.programme_budget b WHERE b.programme_id = o.programme_id;
        IF NOT FOUND THEN
          PERFORM redemption.domain_error('BUDGET_EXHAUSTED', 'orderId', format('programme %s has no budget', o.programme_id),
            jsonb_build_object('budgetLeftFen', 0));
        END IF;
        my_shard := redemption.budget_shard_of(o.id, n_shards);
        BEGIN
          UPDATE redemption.budget_shards SET left_fen = left_fen - m
           WHERE programme_id = o.programme_id AND shard = my_shard AND left_fen >= m;
          IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'VCB01';
          END IF;
          v := m;
        EXCEPTION WHEN SQLSTATE 'VCB01' THEN
          -- The shard holds less than m. Under READ COMMITTED a conditional update that waited on
          -- a concurrent change keeps the newest row version locked even when it no longer matches;
          -- rolling this block back releases that lock, so the ordered locking below cannot deadlock.
          v := NULL;
        END;
        IF v IS NULL THEN
          -- Nothing left at this instant is a refusal without queueing for every shard's lock
          -- (budget only comes back through committed returns and credits).
          IF redemption.budget_left(o.programme_id) > 0 THEN
            PERFORM 1 FROM redemption.budget_shards WHERE programme_id = o.programme_id ORDER BY shard FOR UPDATE;
          END IF;
          b_left := redemption.budget_left(o.programme_id);
          IF b_left = 0 THEN
            PERFORM redemption.domain_error('BUDGET_EXHAUSTED', 'orderId', format('the budget of programme %s is exhausted', o.programme_id),
              jsonb_build_object('budgetLeftFen', 0));
          END IF;
          v := LEAST(m, b_left);
          rest := v;
          FOR sh IN SELECT s.shard, s.left_fen FROM redemption.budget_shards s
                     WHERE s.programme_id = o.programme_id AND s.left_fen > 0 ORDER BY s.left_fen DESC, s.shard LOOP
            take := LEAST(rest, sh.left_fen);
            UPDATE redemption.budget_shards SET left_fen = left_fen - take
             WHERE programme_id = o.programme_id AND shard = sh.shard AND left_fen >= take;
            rest := rest - take;
            EXIT WHEN rest = 0;
          END LOOP;
        END IF;
        UPDATE redemption.quota_balance SET left_fen = left_fen - v
         WHERE enterprise_id = o.enterprise_id AND programme_id = o.programme_id AND left_fen >= v;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'quota row changed under its lock';
        END IF;
        limited_by := CASE WHEN v = by_rate THEN 'rate' WHEN v = q_left THEN 'quota' ELSE 'budget' END;

        INSERT INTO redemption.ledger_entries (entry_type, programme_id, enterprise_id, order_id, amount_fen, created_at)
        VALUES ('budget_taken', o.programme_id, o.enterprise_id, o.id, v, p_now),
               ('quota_taken', o.programme_id, o.enterprise_id, o.id, v, p_now);

        -- provider_redeems: the enterprise pays A − V now; enterprise_reimbursed: it pays A and is reimbursed V.
        pays := CASE WHEN o.mode = 'enterprise_reimbursed' THEN o.amount_fen ELSE o.amount_fen - v END;
        UPDATE redemption.orders SET status = 'paid', voucher_fen = v, enterprise_pays_fen = pays, paid_at = p_now
         WHERE id = o.id RETURNING * INTO o;

        INSERT INTO redemption.audit_log (principal_sub, principal_role, principal_org, action, entity_type, entity_id, reason, data, correlation_id)
        VALUES (p_sub, p_role, p_org, 'order.paid', 'order', o.id::text, NULL,
                jsonb_build_object('voucherFen', v, 'enterprisePaysFen', pays, 'limitedBy', limited_by, 'byRateFen', by_rate), p_correlation_id);
        PERFORM redemption.emit('voucher.events.order.paid', 'order', o.id::text, redemption.order_event(o), p_correlation_id);

        v_reply := redemption.order_json(o);
        INSERT INTO redemption.idempotency (scope, key, request_hash, reply) VALUES (p_scope, p_key, p_hash, v_reply);
        RETURN v_reply;
      END $$`);

    // ---- R-QUOTA-2: the year-end lapse of every unused balance of a year ---------------------
    await q.query(`
      CREATE FUNCTION redemption.lapse_quota(p_year int, p_province text, p_programme_id text, p_now timestamptz, p_correlation_id text)
      RETURNS TABLE (programme_id text, enterprise_id uuid, amount_fen bigint) LANGUAGE plpgsql AS $$
      DECLARE
        r record;
      BEGIN
        FOR r IN
          SELECT q.enterprise_id, q.programme_id, q.left_fen FROM redemption.quota_balance q
           WHERE q.year = p_year AND q.left_fen > 0
             AND (p_province IS NULL OR q.programme_id LIKE p_province || '-%')
             AND (p_programme_id IS NULL OR q.programme_id = p_programme_id)
           ORDER BY q.enterprise_id, q.programme_id
             FOR UPDATE
        LOOP
          UPDATE redemption.quota_balance q SET left_fen = 0, lapsed_fen = q.lapsed_fen + r.left_fen, lapsed_at = p_now
           WHERE q.enterprise_id = r.enterprise_id AND q.programme_id = r.programme_id;
          INSERT INTO redemption.ledger_entries (entry_type, programme_id, enterprise_id, amount_fen, ref, created_at)
          VALUES ('quota_lapsed', r.programme_id, r.enterprise_id, r.left_fen, format('year-end %s', p_year), p_now);
          PERFORM redemption.emit('voucher.events.quota.lapsed', 'enterprise', r.enterprise_id::text,
            jsonb_build_object('enterpriseId', r.enterprise_id, 'programmeId', r.programme_id, 'year', p_year, 'amountFen', r.left_fen),
            p_correlation_id);
          programme_id := r.programme_id;
          enterprise_id := r.enterprise_id;
          amount_fen := r.left_fen;
          RETURN NEXT;
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION redemption.lapse_quota, redemption.pay_order, redemption.return_budget, redemption.credit_budget,
                   redemption.budget_left, redemption.budget_shard_of, redemption.emit, redemption.claim_event,
                   redemption.claim_json, redemption.order_event, redemption.order_json, redemption.domain_error, redemption.iso`);
    await q.query(`DROP VIEW redemption.ledger_differences, redemption.quota_identity, redemption.budget_identity`);
    await q.query(`DROP TABLE redemption.ledger_entries, redemption.invoice_flags, redemption.claims, redemption.orders,
                   redemption.quota_balance, redemption.budget_shards, redemption.programme_budget, redemption.provider_exclusions, redemption.providers,
                   redemption.enterprises, redemption.programme_versions, redemption.programmes`);
    await q.query(`DROP FUNCTION redemption.ledger_append_only`);
    await q.query(`DROP TABLE "redemption".audit_log`);
    await q.query(`DROP FUNCTION "redemption".audit_log_append_only`);
    await q.query(`DROP TABLE "redemption".processed_events`);
    await q.query(`DROP TABLE "redemption".idempotency`);
    await q.query(`DROP TABLE "redemption".outbox`);
  }
}
