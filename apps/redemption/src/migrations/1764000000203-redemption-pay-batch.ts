import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payments in batches (ADR 0006). `redemption.pay_orders` makes many voucher payments in one
 * transaction and one round trip, with the rules of `pay_order` (R-OFFSET-1..2, R-REG-2..4,
 * R-QUOTA-2, R-AUDIT-1, R-LEDGER-1) applied set-wise:
 *
 * 1. lock the batch's orders, then their quota rows, then one budget shard per programme (the
 *    batch's slot), each set in key order, so that batches side by side never deadlock;
 * 2. read every order with its idempotency row, provider, programme, quota and shard in one query,
 *    and decide each payment in order, keeping the quota and shard left after the payments before
 *    it in the batch;
 * 3. write all the payments made with one statement per table.
 *
 * A payment the batch leaves to `pay_order` alone (answer {"retry": why}): its voucher part rounds
 * to 0 (whether the budget is also exhausted needs every shard), or the batch's shard holds less
 * than its voucher (the lone call takes from every shard). A same Idempotency-Key committed by
 * another batch meanwhile fails the whole batch on the key's primary key; the caller then makes
 * every payment alone, which gives each the answer a lone call would.
 */
export class RedemptionPayBatch1764000000203 implements MigrationInterface {
  name = 'RedemptionPayBatch1764000000203';

  async up(q: QueryRunner): Promise<void> {
    // The envelope of an outbox event, shared by emit (one event) and pay_orders (many).
    await q.query(`
      CREATE FUNCTION redemption.envelope(p_event_id uuid, p_subject text, p_aggregate_type text, p_aggregate_id text, p_payload jsonb, p_correlation_id text)
      RETURNS jsonb LANGUAGE sql VOLATILE AS $$
        SELECT jsonb_build_object('id', p_event_id, 'type', p_subject, 'aggregateType', p_aggregate_type, 'aggregateId', p_aggregate_id,
                                  'occurredAt', redemption.iso(clock_timestamp()))
               || CASE WHEN p_correlation_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('correlationId', p_correlation_id) END
               || jsonb_build_object('payload', p_payload)
      $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION redemption.emit(p_subject text, p_aggregate_type text, p_aggregate_id text, p_payload jsonb, p_correlation_id text)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        e uuid := gen_random_uuid();
      BEGIN
        INSERT INTO redemption.outbox (event_id, subject, aggregate_type, aggregate_id, envelope)
        VALUES (e, p_subject, p_aggregate_type, p_aggregate_id, redemption.envelope(e, p_subject, p_aggregate_type, p_aggregate_id, p_payload, p_correlation_id));
      END $$`);
    // A refusal as pay_orders answers it: what redemption.domain_error raises, as a value.
    await q.query(`
      CREATE FUNCTION redemption.refusal(p_code text, p_field text, p_message text, p_details jsonb DEFAULT NULL)
      RETURNS json LANGUAGE sql IMMUTABLE AS $$
        SELECT json_build_object('error', json_build_object('code', p_code, 'field', p_field, 'message', p_message, 'details', p_details))
      $$`);

    await q.query(`
      CREATE FUNCTION redemption.pay_orders(
        p_scope text[], p_key text[], p_hash text[], p_order_id uuid[],
        p_sub text[], p_role text[], p_org text[], p_correlation_id text[], p_now timestamptz, p_slot int
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
                 prior.request_hash AS prior_hash, prior.reply AS prior_reply,
                 prov.id IS NOT NULL AS prov_found, prov.status AS prov_status, prov.suspended AS prov_suspended,
                 EXISTS (SELECT 1 FROM redemption.provider_exclusions x WHERE x.provider_id = o.provider_id AND x.programme_id = o.programme_id) AS excluded,
                 prog.id IS NOT NULL AS prog_found, prog.status AS prog_status, prog.year AS prog_year,
                 qb.left_fen AS q_left, b.shard_count, s.left_fen AS s_left
            FROM unnest(p_scope, p_key, p_hash, p_order_id, p_role, p_org) WITH ORDINALITY AS i(scope, key, hash, order_id, role, org, seq)
            LEFT JOIN redemption.idempotency prior ON prior.scope = i.scope AND prior.key = i.key
            LEFT JOIN redemption.orders o ON o.id = i.order_id
            LEFT JOIN redemption.providers prov ON prov.id = o.provider_id
            LEFT JOIN redemption.programmes prog ON prog.id = o.programme_id
            LEFT JOIN redemption.quota_balance qb ON qb.enterprise_id = o.enterprise_id AND qb.programme_id = o.programme_id
            LEFT JOIN redemption.programme_budget b ON b.programme_id = o.programme_id
            LEFT JOIN redemption.budget_shards s ON s.programme_id = o.programme_id AND s.shard = p_slot % b.shard_count
           ORDER BY i.seq
        LOOP
          IF r.prior_hash IS NOT NULL THEN
            answers[r.seq] := CASE WHEN r.prior_hash <> r.hash
              THEN redemption.refusal('IDEMPOTENCY_CONFLICT', 'Idempotency-Key', 'this Idempotency-Key was used with a different request')
              ELSE json_build_object('reply', r.prior_reply) END;
            CONTINUE;
          END IF;
          IF r.id IS NULL OR NOT ((r.role = 'enterprise' AND r.org IN (r.enterprise_id::text, r.enterprise_credit_code))
                               OR (r.role = 'provider' AND r.org IN (r.provider_id::text, r.provider_credit_code))) THEN
            answers[r.seq] := redemption.refusal('NOT_FOUND', 'orderId', 'no such order');
            CONTINUE;
          END IF;
          IF r.status <> 'confirmed' THEN
            answers[r.seq] := redemption.refusal('ILLEGAL_STATE', 'orderId',
              format('order is %s; a voucher pays a confirmed order once', r.status), jsonb_build_object('status', r.status));
            CONTINUE;
          END IF;
          IF NOT r.prov_found OR r.prov_status <> 'active' OR r.prov_suspended THEN
            answers[r.seq] := redemption.refusal('PROVIDER_NOT_ACTIVE', 'providerId',
              CASE WHEN r.prov_suspended THEN 'provider is suspended by a serious credit record' ELSE format('provider is %s', coalesce(r.prov_status, 'unknown')) END);
            CONTINUE;
          END IF;
          IF r.excluded THEN
            answers[r.seq] := redemption.refusal('PROVIDER_EXCLUDED', 'providerId', format('provider is excluded from programme %s', r.programme_id));
            CONTINUE;
          END IF;
          IF NOT r.prog_found OR r.prog_status <> 'open' THEN
            answers[r.seq] := redemption.refusal('PROGRAMME_NOT_OPEN', 'programmeId', format('programme %s is not open', r.programme_id));
            CONTINUE;
          END IF;
          IF p_now >= make_timestamptz(r.prog_year + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai') THEN
            answers[r.seq] := redemption.refusal('QUOTA_EXHAUSTED', 'orderId',
              format('the quota of %s lapsed at the end of the year', r.prog_year), jsonb_build_object('quotaLeftFen', 0));
            CONTINUE;
          END IF;
          by_rate := (r.amount_fen * r.offset_rate_bp) / 10000;
          q_key := r.enterprise_id::text || '/' || r.programme_id;
          q_left := coalesce((quota_left->>q_key)::bigint, r.q_left);
          IF coalesce(q_left, 0) = 0 THEN
            answers[r.seq] := redemption.refusal('QUOTA_EXHAUSTED', 'orderId', 'the enterprise has no quota left in this programme',
              jsonb_build_object('quotaLeftFen', 0));
            CONTINUE;
          END IF;
          IF by_rate <= 0 THEN
            answers[r.seq] := json_build_object('retry', 'rounds to 0');
            CONTINUE;
          END IF;
          v := LEAST(by_rate, q_left);
          IF r.shard_count IS NULL THEN
            answers[r.seq] := redemption.refusal('BUDGET_EXHAUSTED', 'orderId', format('programme %s has no budget', r.programme_id),
              jsonb_build_object('budgetLeftFen', 0));
            CONTINUE;
          END IF;
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
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION redemption.pay_orders(text[], text[], text[], uuid[], text[], text[], text[], text[], timestamptz, int)`);
    await q.query(`DROP FUNCTION redemption.refusal(text, text, text, jsonb)`);
    // emit keeps calling envelope(): the envelope it writes is the one it wrote before this migration.
  }
}
