import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * R-ORDER-1: which party of an order a principal acts for, said once in SQL
 * (redemption.party_of) and asked by pay_order and pay_orders, which each wrote it out before;
 * pinned to the TypeScript partyOf by tests/integration/redemption/party-of.parity.test.ts.
 * The answers are unchanged.
 */
export class RedemptionPartyOf1764000000212 implements MigrationInterface {
  name = 'RedemptionPartyOf1764000000212';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION redemption.party_of(p_role text, p_org text, p_enterprise_id uuid, p_enterprise_code text, p_provider_id uuid, p_provider_code text)
      RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN p_role = 'provider' AND p_org IN (p_provider_id::text, p_provider_code) THEN 'provider'
                    WHEN p_role = 'enterprise' AND p_org IN (p_enterprise_id::text, p_enterprise_code) THEN 'enterprise' END
      $$`);
    await q.query(`
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
      END $$`);
    await q.query(`
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
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
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
        IF o.id IS NULL OR NOT ((p_role = 'enterprise' AND p_org IN (o.enterprise_id::text, o.enterprise_credit_code))
                             OR (p_role = 'provider' AND p_org IN (o.provider_id::text, o.provider_credit_code))) THEN
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
      END $$`);
    await q.query(`
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
      END $$`);
    await q.query(`DROP FUNCTION redemption.party_of(text, text, uuid, text, uuid, text)`);
  }
}
