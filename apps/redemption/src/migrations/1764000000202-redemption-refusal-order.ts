import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a voucher would pay 0, pay_order names the reason in the order of voucherAmount (@vc/domain):
 * quota used up, then budget exhausted, then an amount whose voucher part rounds down to 0.
 * (1764000000201 checked the rounding first.) Otherwise the function is unchanged.
 */
export class RedemptionRefusalOrder1764000000202 implements MigrationInterface {
  name = 'RedemptionRefusalOrder1764000000202';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION redemption.pay_order(
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
        -- When V would be 0 the reason is, as in voucherAmount (@vc/domain): the quota used up,
        -- else the budget exhausted, else an amount whose voucher part rounds down to 0.
        by_rate := (o.amount_fen * o.offset_rate_bp) / 10000;
        SELECT left_fen INTO q_left FROM redemption.quota_balance
         WHERE enterprise_id = o.enterprise_id AND programme_id = o.programme_id FOR UPDATE;
        IF coalesce(q_left, 0) = 0 THEN
          PERFORM redemption.domain_error('QUOTA_EXHAUSTED', 'orderId', 'the enterprise has no quota left in this programme',
            jsonb_build_object('quotaLeftFen', 0));
        END IF;
        IF by_rate <= 0 THEN
          IF redemption.budget_left(o.programme_id) = 0 THEN
            PERFORM redemption.domain_error('BUDGET_EXHAUSTED', 'orderId', format('the budget of programme %s is exhausted', o.programme_id),
              jsonb_build_object('budgetLeftFen', 0));
          END IF;
          PERFORM redemption.domain_error('INVALID_AMOUNT', 'amountFen', 'the voucher part of this amount rounds down to 0 fen');
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
  }

  async down(): Promise<void> {
    // The previous body differs only in the order of two refusals; it is not restored.
  }
}
