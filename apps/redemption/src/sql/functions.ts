import { commonFunctions } from '@vc/database';

/**
 * The functions and views of the redemption schema as they are in force: the one place to read
 * and change them. Migrations keep frozen copies: a change here goes with a new migration whose
 * up() carries a copy of what changed (never an import of this file), and
 * tests/integration/schema/sql-drift.test.ts fails while what the migrations leave differs from
 * this (bodies compared without comments and indentation). In creation order: a SQL-language
 * function is checked against those it calls.
 */
export const REDEMPTION_FUNCTIONS = {
  ...commonFunctions('redemption'),
  /** An instant as the JSON of replies and events writes it (UTC, milliseconds). */
  iso: `
    CREATE OR REPLACE FUNCTION redemption.iso(t timestamptz) RETURNS text LANGUAGE sql STABLE AS
    $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$`,
  /** A refusal raised from SQL: the service turns it into DomainError(code, { field, message, details }) (redemption.sql.ts fromPgError). */
  domain_error: `
    CREATE OR REPLACE FUNCTION redemption.domain_error(p_code text, p_field text, p_message text, p_details jsonb DEFAULT NULL)
    RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = p_code, HINT = 'vc-domain-error',
        DETAIL = json_build_object('field', p_field, 'message', p_message, 'details', p_details)::text;
    END $$`,
  /** A refusal as a value, as pay_orders answers it per payment: what domain_error raises. */
  refusal: `
    CREATE OR REPLACE FUNCTION redemption.refusal(p_code text, p_field text, p_message text, p_details jsonb DEFAULT NULL)
    RETURNS json LANGUAGE sql IMMUTABLE AS $$
      SELECT json_build_object('error', json_build_object('code', p_code, 'field', p_field, 'message', p_message, 'details', p_details))
    $$`,
  /**
   * Which party of an order a principal acts for (R-ORDER-1): a provider unit (org = its id) or its
   * legal entity's account (org = credit code) for the provider side, the enterprise (its id or credit
   * code) for the other; NULL for anyone else. partyOf in apps/redemption/src/access.ts (libs/auth
   * actsForProvider / actsForEnterprise) says the same in TypeScript; a parity test pins the two.
   */
  party_of: `
    CREATE OR REPLACE FUNCTION redemption.party_of(p_role text, p_org text, p_enterprise_id uuid, p_enterprise_code text, p_provider_id uuid, p_provider_code text)
    RETURNS text LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE WHEN p_role = 'provider' AND p_org IN (p_provider_id::text, p_provider_code) THEN 'provider'
                  WHEN p_role = 'enterprise' AND p_org IN (p_enterprise_id::text, p_enterprise_code) THEN 'enterprise' END
    $$`,
  /** The wire body of a refusal (redemption.refusal) as DomainError.toBody writes it: no null field or details. */
  error_body: `
    CREATE OR REPLACE FUNCTION redemption.error_body(p_refusal json) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
      SELECT jsonb_strip_nulls(jsonb_build_object('code', p_refusal->'error'->>'code', 'message', p_refusal->'error'->>'message',
                                                  'field', p_refusal->'error'->>'field'))
             || CASE WHEN json_typeof(p_refusal->'error'->'details') = 'object' THEN jsonb_build_object('details', p_refusal->'error'->'details') ELSE '{}' END
    $$`,
  /**
   * R-OFFSET-2: a payment refused, as pay_order answers it ({"error": …}). A final refusal (its code
   * in p_final: ERROR_TABLE's final codes, sent by the service) is the request's answer: it is
   * stored under the request's key, and nothing else is written. Any other is not stored, so that
   * the same request may take effect later.
   */
  refused: `
    CREATE OR REPLACE FUNCTION redemption.refused(p_scope text, p_key text, p_hash text, p_refusal json, p_final text[])
    RETURNS json LANGUAGE plpgsql AS $$
    BEGIN
      IF p_refusal->'error'->>'code' = ANY (p_final) THEN
        INSERT INTO redemption.idempotency (scope, key, request_hash, refusal) VALUES (p_scope, p_key, p_hash, redemption.error_body(p_refusal));
      END IF;
      RETURN p_refusal;
    END $$`,
  /**
   * R-REG-2..4, R-ORDER-1: whether a provider may take voucher business in a programme, and if not
   * why, in this order: the provider revoked, rejected or suspended (or unknown here), excluded by
   * the programme, the programme not open. NULL when it may. One row; a set-returning SQL function,
   * so that a query calling it in FROM (pay_orders) has it inlined rather than called per row.
   * Order creation and confirmation ask it (redemption.sql.ts assertStanding); payment_refusal
   * starts with it.
   */
  standing_refusal: `
    CREATE OR REPLACE FUNCTION redemption.standing_refusal(p_provider_id uuid, p_programme_id text)
    RETURNS TABLE (refusal json) LANGUAGE sql STABLE AS $$
      SELECT CASE
          WHEN prov.id IS NULL OR prov.status <> 'active' OR prov.suspended THEN
            redemption.refusal('PROVIDER_NOT_ACTIVE', 'providerId',
              CASE WHEN prov.suspended THEN 'provider is suspended by a serious credit record' ELSE format('provider is %s', coalesce(prov.status, 'not registered')) END)
          WHEN EXISTS (SELECT 1 FROM redemption.provider_exclusions x WHERE x.provider_id = p_provider_id AND x.programme_id = p_programme_id) THEN
            redemption.refusal('PROVIDER_EXCLUDED', 'providerId', format('provider is excluded from programme %s', p_programme_id))
          WHEN prog.id IS NULL OR prog.status <> 'open' THEN
            redemption.refusal('PROGRAMME_NOT_OPEN', 'programmeId', format('programme %s is not open', p_programme_id))
        END
        FROM (VALUES (1)) AS one (x)
        LEFT JOIN redemption.providers prov ON prov.id = p_provider_id
        LEFT JOIN redemption.programmes prog ON prog.id = p_programme_id
    $$`,
  /**
   * R-REG-2..4, R-QUOTA-2: whether a voucher payment of an order of this provider and programme may
   * be made at p_now, before its amount is looked at: standing_refusal, then the quota lapsed at the
   * end of the programme's year (31 December, Asia/Shanghai). NULL when it may. The quote
   * (QuoteVoucherUseCase), pay_order and pay_orders all ask this one function.
   */
  payment_refusal: `
    CREATE OR REPLACE FUNCTION redemption.payment_refusal(p_provider_id uuid, p_programme_id text, p_now timestamptz)
    RETURNS TABLE (refusal json) LANGUAGE sql STABLE AS $$
      SELECT coalesce(s.refusal, CASE WHEN p_now >= make_timestamptz(prog.year + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai') THEN
               redemption.refusal('QUOTA_EXHAUSTED', 'orderId', format('the quota of %s lapsed at the end of the year', prog.year),
                                  jsonb_build_object('quotaLeftFen', 0)) END)
        FROM redemption.standing_refusal(p_provider_id, p_programme_id) s
        LEFT JOIN redemption.programmes prog ON prog.id = p_programme_id
    $$`,
  /**
   * R-OFFSET-1: why V = min(floor(A × rate), quota left, budget left) is 0, in the order of
   * voucherAmount (@vc/domain): the quota used up, else the budget exhausted, else an amount whose
   * voucher part rounds down to 0. NULL when V > 0. A missing balance is 0. The quote and both pay
   * functions ask it whenever V may be 0.
   */
  voucher_refusal: `
    CREATE OR REPLACE FUNCTION redemption.voucher_refusal(p_programme_id text, p_by_rate bigint, p_quota_left bigint, p_budget_left bigint)
    RETURNS json LANGUAGE sql STABLE AS $$
      SELECT CASE
          WHEN coalesce(p_quota_left, 0) <= 0 THEN
            redemption.refusal('QUOTA_EXHAUSTED', 'orderId', 'the enterprise has no quota left in this programme', jsonb_build_object('quotaLeftFen', 0))
          WHEN coalesce(p_budget_left, 0) <= 0 THEN
            redemption.refusal('BUDGET_EXHAUSTED', 'orderId', format('the budget of programme %s is exhausted', p_programme_id),
                               jsonb_build_object('budgetLeftFen', 0))
          WHEN p_by_rate <= 0 THEN
            redemption.refusal('INVALID_AMOUNT', 'amountFen', 'the voucher part of this amount rounds down to 0 fen')
        END
    $$`,
  /** The envelope of an outbox event, the one addToOutbox writes (libs/database), for emit and pay_orders. */
  envelope: `
    CREATE OR REPLACE FUNCTION redemption.envelope(p_event_id uuid, p_subject text, p_aggregate_type text, p_aggregate_id text, p_payload jsonb, p_correlation_id text)
    RETURNS jsonb LANGUAGE sql VOLATILE AS $$
      SELECT jsonb_build_object('id', p_event_id, 'type', p_subject, 'aggregateType', p_aggregate_type, 'aggregateId', p_aggregate_id,
                                'occurredAt', redemption.iso(clock_timestamp()))
             || CASE WHEN p_correlation_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('correlationId', p_correlation_id) END
             || jsonb_build_object('payload', p_payload)
    $$`,
  /** The outbox row of an event written from SQL. PL/pgSQL, not SQL: its plan is cached per session. */
  emit: `
    CREATE OR REPLACE FUNCTION redemption.emit(p_subject text, p_aggregate_type text, p_aggregate_id text, p_payload jsonb, p_correlation_id text)
    RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      e uuid := gen_random_uuid();
    BEGIN
      INSERT INTO redemption.outbox (event_id, subject, aggregate_type, aggregate_id, envelope)
      VALUES (e, p_subject, p_aggregate_type, p_aggregate_id, redemption.envelope(e, p_subject, p_aggregate_type, p_aggregate_id, p_payload, p_correlation_id));
    END $$`,
  /** The one view of an order, for every reply (TypeScript reads and the pay functions alike). */
  order_json: `
    CREATE OR REPLACE FUNCTION redemption.order_json(o redemption.orders) RETURNS json LANGUAGE sql STABLE AS $$
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
    $$`,
  /** The payload of every order event. */
  order_event: `
    CREATE OR REPLACE FUNCTION redemption.order_event(o redemption.orders) RETURNS jsonb LANGUAGE sql STABLE AS $$
      SELECT jsonb_build_object(
        'orderId', o.id, 'programmeId', o.programme_id, 'programmeVersion', o.programme_version,
        'enterpriseId', o.enterprise_id, 'providerId', o.provider_id, 'status', o.status,
        'amountFen', o.amount_fen, 'voucherFen', o.voucher_fen, 'enterprisePaysFen', o.enterprise_pays_fen)
    $$`,
  /** The claim as its parties read it, with the amendment awaiting, or last answered by, settlement (R-CLAIM-3). */
  claim_json: `
    CREATE OR REPLACE FUNCTION redemption.claim_json(c redemption.claims) RETURNS json LANGUAGE sql STABLE AS $$
      SELECT json_build_object(
        'id', c.id, 'orderId', c.order_id, 'programmeId', c.programme_id, 'programmeVersion', c.programme_version,
        'mode', c.mode, 'enterpriseId', c.enterprise_id, 'providerId', c.provider_id,
        'payeeType', c.payee_type, 'payeeId', c.payee_id, 'amountFen', c.amount_fen, 'voucherFen', c.voucher_fen,
        'owedFen', c.owed_fen, 'contractRef', c.contract_ref, 'invoiceNumber', c.invoice_number, 'invoiceCode', c.invoice_code,
        'invoiceAmountFen', c.invoice_amount_fen, 'bankTransferRef', c.bank_transfer_ref, 'bankAmountFen', c.bank_amount_fen,
        'status', c.status, 'revision', c.revision, 'submittedAt', redemption.iso(c.submitted_at),
        'amendedAt', redemption.iso(c.amended_at), 'decidedAt', redemption.iso(c.decided_at),
        'decisionReason', c.decision_reason, 'paidAt', redemption.iso(c.paid_at),
        'amendment', CASE WHEN c.amendment_status IS NULL THEN NULL ELSE json_build_object(
          'status', c.amendment_status, 'revision', c.amendment_revision, 'reason', c.amendment_reason,
          'decidedAt', redemption.iso(c.amendment_decided_at), 'proposed', c.proposed_amendment - 'invoiceKey') END)
    $$`,
  /** Everything settlement needs about a claim (ClaimEvent), from the projections kept here. */
  claim_event: `
    CREATE OR REPLACE FUNCTION redemption.claim_event(c redemption.claims) RETURNS jsonb LANGUAGE sql STABLE AS $$
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
    $$`,
  /** The budget shard an order takes from and returns to: fixed by its id, spread evenly (uuid v4 bytes; ADR 0004). */
  budget_shard_of: `
    CREATE OR REPLACE FUNCTION redemption.budget_shard_of(p_order_id uuid, p_shard_count smallint) RETURNS smallint LANGUAGE sql IMMUTABLE AS
    $$ SELECT (get_byte(uuid_send(p_order_id), 15) % p_shard_count)::smallint $$`,
  /** A programme's budget left: the sum of its shards. */
  budget_left: `
    CREATE OR REPLACE FUNCTION redemption.budget_left(p_programme_id text) RETURNS bigint LANGUAGE sql STABLE AS
    $$ SELECT COALESCE(sum(left_fen), 0)::bigint FROM redemption.budget_shards WHERE programme_id = p_programme_id $$`,
  /** Issuance reports the programme's total budget; the increase over what was credited is spread over the shards (ledger budget_credited). Returns the amount credited (0 when nothing new). */
  credit_budget: `
    CREATE OR REPLACE FUNCTION redemption.credit_budget(p_programme_id text, p_total bigint, p_ref text) RETURNS bigint LANGUAGE plpgsql AS $$
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
    END $$`,
  /** V back to the budget (cancelled order, rejected claim), into the order's own shard. */
  return_budget: `
    CREATE OR REPLACE FUNCTION redemption.return_budget(p_programme_id text, p_enterprise_id uuid, p_order_id uuid, p_amount bigint, p_ref text, p_at timestamptz)
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
    END $$`,
  /** R-OFFSET-1..2, R-REG-2..4, R-QUOTA-2, R-AUDIT-1, R-LEDGER-1: one voucher payment in one statement (ADR 0004). */
  pay_order: `
    CREATE OR REPLACE FUNCTION redemption.pay_order(
      p_scope text, p_key text, p_hash text, p_order_id uuid,
      p_sub text, p_role text, p_org text, p_now timestamptz, p_correlation_id text, p_final text[]
    ) RETURNS json LANGUAGE plpgsql AS $$
    DECLARE
      o redemption.orders%ROWTYPE;
      prior record;
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
      v_refusal json;
    BEGIN
      -- Lock order everywhere: order row, quota row, budget shard(s) (no deadlocks).
      SELECT * INTO o FROM redemption.orders WHERE id = p_order_id FOR UPDATE;
      -- Idempotency after the order lock: a concurrent duplicate waits on the lock, then finds
      -- the first call's committed reply here. The key row is written with the reply at the end;
      -- a same key for another order racing to commit fails on its primary key (IDEMPOTENCY_CONFLICT).
      -- The answer is {"reply": the order} or {"error": the refusal}, a stored one included (R-OFFSET-2).
      SELECT request_hash, i.reply, i.refusal INTO prior FROM redemption.idempotency i WHERE scope = p_scope AND key = p_key;
      IF FOUND THEN
        IF prior.request_hash <> p_hash THEN
          RETURN redemption.refusal('IDEMPOTENCY_CONFLICT', 'Idempotency-Key', 'this Idempotency-Key was used with a different request');
        END IF;
        RETURN CASE WHEN prior.refusal IS NOT NULL THEN json_build_object('error', prior.refusal) ELSE json_build_object('reply', prior.reply) END;
      END IF;
      -- Another organisation's order is answered as not found, so that ids cannot be probed.
      IF o.id IS NULL OR redemption.party_of(p_role, p_org, o.enterprise_id, o.enterprise_credit_code, o.provider_id, o.provider_credit_code) IS NULL THEN
        RETURN redemption.refused(p_scope, p_key, p_hash, redemption.refusal('NOT_FOUND', 'orderId', 'no such order'), p_final);
      END IF;
      IF o.status <> 'confirmed' THEN
        RETURN redemption.refused(p_scope, p_key, p_hash, redemption.refusal('ILLEGAL_STATE', 'orderId',
          format('order is %s; a voucher pays a confirmed order once', o.status), jsonb_build_object('status', o.status)), p_final);
      END IF;
      -- R-REG-2..4: revocation, suspension and exclusion stop new voucher payments at once;
      -- R-QUOTA-2: quota is valid until 31 December of its year. Asked as the quote asks it.
      SELECT c.refusal INTO v_refusal FROM redemption.payment_refusal(o.provider_id, o.programme_id, p_now) c;
      IF v_refusal IS NOT NULL THEN
        RETURN redemption.refused(p_scope, p_key, p_hash, v_refusal, p_final);
      END IF;

      -- R-OFFSET-1: V = min(floor(A × rate), quota left, budget left); bigint division floors.
      -- When V would be 0, voucher_refusal names the reason (the budget summed over the shards only
      -- then: a payment takes from its own shard first).
      by_rate := (o.amount_fen * o.offset_rate_bp) / 10000;
      SELECT left_fen INTO q_left FROM redemption.quota_balance
       WHERE enterprise_id = o.enterprise_id AND programme_id = o.programme_id FOR UPDATE;
      IF coalesce(q_left, 0) <= 0 OR by_rate <= 0 THEN
        RETURN redemption.refused(p_scope, p_key, p_hash, redemption.voucher_refusal(o.programme_id, by_rate, q_left, redemption.budget_left(o.programme_id)), p_final);
      END IF;
      m := LEAST(by_rate, q_left);

      -- R-OFFSET-2: take m from the order's budget shard with a conditional update (row lock:
      -- first come, first served; never below 0). When that shard holds less, lock every shard of
      -- the programme in shard order and take min(m, budget left) across them.
      SELECT b.shard_count INTO n_shards FROM redemption.programme_budget b WHERE b.programme_id = o.programme_id;
      IF NOT FOUND THEN
        RETURN redemption.refused(p_scope, p_key, p_hash, redemption.voucher_refusal(o.programme_id, by_rate, q_left, 0), p_final);
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
          RETURN redemption.refused(p_scope, p_key, p_hash, redemption.voucher_refusal(o.programme_id, by_rate, q_left, b_left), p_final);
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
      RETURN json_build_object('reply', v_reply);
    END $$`,
  /** The payments that arrive together, in one transaction (ADR 0006), with the rules of pay_order applied set-wise. */
  pay_orders: `
    CREATE OR REPLACE FUNCTION redemption.pay_orders(
      p_scope text[], p_key text[], p_hash text[], p_order_id uuid[],
      p_sub text[], p_role text[], p_org text[], p_correlation_id text[], p_now timestamptz, p_slot int, p_final text[]
    ) RETURNS json LANGUAGE plpgsql AS $$
    DECLARE
      n int := cardinality(p_order_id);
      r record;
      answers json[] := array_fill(NULL::json, ARRAY[n]);
      quota_left jsonb := '{}';
      shard_left jsonb := '{}';
      q_key text;
      q_left bigint;
      s_left bigint;
      by_rate bigint;
      v bigint;
      -- the payments made, in batch order
      made_seq int[] := '{}';
      ids uuid[] := '{}';
      programmes text[] := '{}';
      enterprises uuid[] := '{}';
      vouchers bigint[] := '{}';
      pays bigint[] := '{}';
      limits text[] := '{}';
      by_rates bigint[] := '{}';
      made int;
      changed int;
      made_at int[];
      made_views json[];
      j int;
      -- the payments answered from their key's stored answer
      replayed int[] := '{}';
    BEGIN
      -- Node sends each order and each key once per batch; anything else is made alone.
      IF n = 0 OR (SELECT count(DISTINCT x) FROM unnest(p_order_id) x) <> n
         OR (SELECT count(DISTINCT (s, k)) FROM unnest(p_scope, p_key) AS u(s, k)) <> n THEN
        RAISE EXCEPTION 'a batch names an order or an Idempotency-Key twice';
      END IF;

      -- 1. Locks, each set in key order: orders, quota rows, the batch's shard of each programme.
      PERFORM 1 FROM redemption.orders WHERE id = ANY (p_order_id) ORDER BY id FOR UPDATE;
      PERFORM 1 FROM redemption.quota_balance qb
       WHERE (qb.enterprise_id, qb.programme_id) IN (SELECT o.enterprise_id, o.programme_id FROM redemption.orders o WHERE o.id = ANY (p_order_id))
       ORDER BY qb.enterprise_id, qb.programme_id FOR UPDATE OF qb;
      PERFORM 1 FROM redemption.budget_shards s JOIN redemption.programme_budget b ON b.programme_id = s.programme_id
       WHERE s.programme_id IN (SELECT o.programme_id FROM redemption.orders o WHERE o.id = ANY (p_order_id))
         AND s.shard = p_slot % b.shard_count
       ORDER BY s.programme_id, s.shard FOR UPDATE OF s;

      -- 2. Each payment in batch order, with the checks of pay_order in the same order.
      FOR r IN
        SELECT i.seq, i.hash, i.role, i.org, o.id, o.programme_id, o.enterprise_id, o.enterprise_credit_code, o.provider_id,
               o.provider_credit_code, o.amount_fen, o.offset_rate_bp, o.mode, o.status,
               prior.request_hash AS prior_hash, prior.reply AS prior_reply, prior.refusal AS prior_refusal, chk.refusal AS standing,
               qb.left_fen AS q_left, b.shard_count, s.left_fen AS s_left
          FROM unnest(p_scope, p_key, p_hash, p_order_id, p_role, p_org) WITH ORDINALITY AS i(scope, key, hash, order_id, role, org, seq)
          LEFT JOIN redemption.idempotency prior ON prior.scope = i.scope AND prior.key = i.key
          LEFT JOIN redemption.orders o ON o.id = i.order_id
          LEFT JOIN LATERAL redemption.payment_refusal(o.provider_id, o.programme_id, p_now) chk ON true
          LEFT JOIN redemption.quota_balance qb ON qb.enterprise_id = o.enterprise_id AND qb.programme_id = o.programme_id
          LEFT JOIN redemption.programme_budget b ON b.programme_id = o.programme_id
          LEFT JOIN redemption.budget_shards s ON s.programme_id = o.programme_id AND s.shard = p_slot % b.shard_count
         ORDER BY i.seq
      LOOP
        IF r.prior_hash IS NOT NULL THEN
          answers[r.seq] := CASE WHEN r.prior_hash <> r.hash
            THEN redemption.refusal('IDEMPOTENCY_CONFLICT', 'Idempotency-Key', 'this Idempotency-Key was used with a different request')
            WHEN r.prior_refusal IS NOT NULL THEN json_build_object('error', r.prior_refusal)
            ELSE json_build_object('reply', r.prior_reply) END;
          replayed := replayed || r.seq::int;
          CONTINUE;
        END IF;
        IF r.id IS NULL OR redemption.party_of(r.role, r.org, r.enterprise_id, r.enterprise_credit_code, r.provider_id, r.provider_credit_code) IS NULL THEN
          answers[r.seq] := redemption.refusal('NOT_FOUND', 'orderId', 'no such order');
          CONTINUE;
        END IF;
        IF r.status <> 'confirmed' THEN
          answers[r.seq] := redemption.refusal('ILLEGAL_STATE', 'orderId',
            format('order is %s; a voucher pays a confirmed order once', r.status), jsonb_build_object('status', r.status));
          CONTINUE;
        END IF;
        IF r.standing IS NOT NULL THEN
          answers[r.seq] := r.standing;
          CONTINUE;
        END IF;
        by_rate := (r.amount_fen * r.offset_rate_bp) / 10000;
        q_key := r.enterprise_id::text || '/' || r.programme_id;
        q_left := coalesce((quota_left->>q_key)::bigint, r.q_left);
        IF coalesce(q_left, 0) <= 0 OR r.shard_count IS NULL THEN
          -- V is 0 whatever the amount: no quota left, or a programme without budget
          answers[r.seq] := redemption.voucher_refusal(r.programme_id, by_rate, q_left, redemption.budget_left(r.programme_id));
          CONTINUE;
        END IF;
        IF by_rate <= 0 THEN
          -- whether the budget is exhausted too needs every shard: made alone
          answers[r.seq] := json_build_object('retry', 'rounds to 0');
          CONTINUE;
        END IF;
        v := LEAST(by_rate, q_left);
        s_left := coalesce((shard_left->>r.programme_id)::bigint, r.s_left);
        IF s_left < v THEN
          answers[r.seq] := json_build_object('retry', 'shard short');
          CONTINUE;
        END IF;
        quota_left := quota_left || jsonb_build_object(q_key, q_left - v);
        shard_left := shard_left || jsonb_build_object(r.programme_id, s_left - v);
        made_seq := made_seq || r.seq::int;
        ids := ids || r.id;
        programmes := programmes || r.programme_id;
        enterprises := enterprises || r.enterprise_id;
        vouchers := vouchers || v;
        -- provider_redeems: the enterprise pays A − V now; enterprise_reimbursed: it pays A and is reimbursed V.
        pays := pays || CASE WHEN r.mode = 'enterprise_reimbursed' THEN r.amount_fen ELSE r.amount_fen - v END;
        limits := limits || CASE WHEN v = by_rate THEN 'rate' ELSE 'quota' END;
        by_rates := by_rates || by_rate;
      END LOOP;

      -- R-OFFSET-2: the final refusals are their requests' answers, stored under their keys (as pay_order's refused()).
      INSERT INTO redemption.idempotency (scope, key, request_hash, refusal)
      SELECT p_scope[a.seq], p_key[a.seq], p_hash[a.seq], redemption.error_body(a.answer)
        FROM unnest(answers) WITH ORDINALITY AS a(answer, seq)
       WHERE a.answer->'error'->>'code' = ANY (p_final) AND NOT (a.seq = ANY (replayed))
       ORDER BY a.seq;

      made := cardinality(ids);
      IF made = 0 THEN
        RETURN array_to_json(answers);
      END IF;

      -- 3. The writes, one statement per table; the balances under the locks taken in step 1.
      UPDATE redemption.budget_shards s SET left_fen = s.left_fen - t.v
        FROM (SELECT u.programme_id, sum(u.v)::bigint AS v FROM unnest(programmes, vouchers) AS u(programme_id, v) GROUP BY 1) t,
             redemption.programme_budget b
       WHERE b.programme_id = t.programme_id AND s.programme_id = t.programme_id AND s.shard = p_slot % b.shard_count AND s.left_fen >= t.v;
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed <> (SELECT count(DISTINCT x) FROM unnest(programmes) x) THEN
        RAISE EXCEPTION 'a budget shard changed under its lock';
      END IF;
      UPDATE redemption.quota_balance qb SET left_fen = qb.left_fen - t.v
        FROM (SELECT u.enterprise_id, u.programme_id, sum(u.v)::bigint AS v
                FROM unnest(enterprises, programmes, vouchers) AS u(enterprise_id, programme_id, v) GROUP BY 1, 2) t
       WHERE qb.enterprise_id = t.enterprise_id AND qb.programme_id = t.programme_id AND qb.left_fen >= t.v;
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed <> (SELECT count(DISTINCT (e, p)) FROM unnest(enterprises, programmes) AS u(e, p)) THEN
        RAISE EXCEPTION 'a quota row changed under its lock';
      END IF;
      INSERT INTO redemption.ledger_entries (entry_type, programme_id, enterprise_id, order_id, amount_fen, created_at)
      SELECT e.entry_type, u.programme_id, u.enterprise_id, u.id, u.v, p_now
        FROM unnest(made_seq, programmes, enterprises, ids, vouchers) AS u(seq, programme_id, enterprise_id, id, v)
       CROSS JOIN (VALUES (1, 'budget_taken'), (2, 'quota_taken')) AS e(k, entry_type)
       ORDER BY u.seq, e.k;
      -- The orders become paid; their audit rows, events and idempotency keys follow in batch order.
      WITH paid AS (
        UPDATE redemption.orders o SET status = 'paid', voucher_fen = u.v, enterprise_pays_fen = u.pays, paid_at = p_now
          FROM unnest(ids, vouchers, pays) AS u(id, v, pays)
         WHERE o.id = u.id
        RETURNING o.id, redemption.order_json(o) AS view, redemption.order_event(o) AS event
      ), payments AS MATERIALIZED (
        SELECT u.seq, u.id, u.v, u.pays, u.limited_by, u.by_rate, paid.view, paid.event, gen_random_uuid() AS event_id
          FROM unnest(made_seq, ids, vouchers, pays, limits, by_rates) AS u(seq, id, v, pays, limited_by, by_rate)
          JOIN paid ON paid.id = u.id
      ), audit AS (
        INSERT INTO redemption.audit_log (principal_sub, principal_role, principal_org, action, entity_type, entity_id, reason, data, correlation_id)
        SELECT p_sub[m.seq], p_role[m.seq], p_org[m.seq], 'order.paid', 'order', m.id::text, NULL,
               jsonb_build_object('voucherFen', m.v, 'enterprisePaysFen', m.pays, 'limitedBy', m.limited_by, 'byRateFen', m.by_rate),
               p_correlation_id[m.seq]
          FROM payments m ORDER BY m.seq
      ), events AS (
        INSERT INTO redemption.outbox (event_id, subject, aggregate_type, aggregate_id, envelope)
        SELECT m.event_id, 'voucher.events.order.paid', 'order', m.id::text,
               redemption.envelope(m.event_id, 'voucher.events.order.paid', 'order', m.id::text, m.event, p_correlation_id[m.seq])
          FROM payments m ORDER BY m.seq
      ), keys AS (
        INSERT INTO redemption.idempotency (scope, key, request_hash, reply)
        SELECT p_scope[m.seq], p_key[m.seq], p_hash[m.seq], m.view FROM payments m
      )
      SELECT array_agg(m.seq ORDER BY m.seq), array_agg(m.view ORDER BY m.seq) INTO made_at, made_views FROM payments m;
      IF cardinality(made_at) IS DISTINCT FROM made THEN
        RAISE EXCEPTION 'an order changed under its lock';
      END IF;
      FOR j IN 1 .. made LOOP
        answers[made_at[j]] := json_build_object('reply', made_views[j]);
      END LOOP;
      RETURN array_to_json(answers);
    END $$`,
  /** R-QUOTA-2: the year-end lapse of every unused balance of a year. */
  lapse_quota: `
    CREATE OR REPLACE FUNCTION redemption.lapse_quota(p_year int, p_province text, p_programme_id text, p_now timestamptz, p_correlation_id text)
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
    END $$`,
  /** R-LEDGER-1: the ledger is append-only (its triggers call this). */
  ledger_append_only: `
    CREATE OR REPLACE FUNCTION redemption.ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger_entries is append-only';
    END $$`,
} as const;

/** The views of the redemption schema as they are in force (see REDEMPTION_FUNCTIONS). */
export const REDEMPTION_VIEWS = {
  /** The identities the ledger check verifies; a row of ledger_differences is a difference (empty = balanced). */
  budget_identity: `
    CREATE OR REPLACE VIEW redemption.budget_identity AS
    SELECT b.programme_id,
           (SELECT COALESCE(sum(s.left_fen), 0) FROM redemption.budget_shards s WHERE s.programme_id = b.programme_id)::bigint AS left_fen,
           (SELECT COALESCE(sum(CASE l.entry_type WHEN 'budget_credited' THEN l.amount_fen WHEN 'budget_taken' THEN -l.amount_fen
                                                  WHEN 'budget_returned' THEN l.amount_fen END), 0)
              FROM redemption.ledger_entries l WHERE l.programme_id = b.programme_id AND l.entry_type LIKE 'budget\\_%')::bigint AS ledger_left_fen
      FROM redemption.programme_budget b`,
  quota_identity: `
    CREATE OR REPLACE VIEW redemption.quota_identity AS
    SELECT q.enterprise_id, q.programme_id, q.left_fen, q.lapsed_fen,
           COALESCE(sum(CASE l.entry_type WHEN 'quota_granted' THEN l.amount_fen WHEN 'quota_taken' THEN -l.amount_fen
                                          WHEN 'quota_returned' THEN l.amount_fen WHEN 'quota_lapsed' THEN -l.amount_fen END), 0)::bigint AS ledger_left_fen
      FROM redemption.quota_balance q
      LEFT JOIN redemption.ledger_entries l ON l.enterprise_id = q.enterprise_id AND l.programme_id = q.programme_id AND l.entry_type LIKE 'quota\\_%'
     GROUP BY q.enterprise_id, q.programme_id, q.left_fen, q.lapsed_fen`,
  ledger_differences: `
    CREATE OR REPLACE VIEW redemption.ledger_differences AS
    SELECT 'budget' AS balance, programme_id, NULL::uuid AS enterprise_id, left_fen, ledger_left_fen
      FROM redemption.budget_identity WHERE left_fen <> ledger_left_fen
    UNION ALL
    SELECT 'quota', programme_id, enterprise_id, left_fen, ledger_left_fen
      FROM redemption.quota_identity WHERE left_fen <> ledger_left_fen`,
} as const;
