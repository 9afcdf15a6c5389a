import { Subjects } from '@vc/contracts';
import { requestHash } from '@vc/database';
import { ERROR_TABLE, ErrorCode } from '@vc/errors';
import { Pool } from 'pg';
import { sql, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { ikey, ledgerDifferences, UpstreamFeed } from '../../fixtures/redemption';

const S = Subjects.redemption;
const FINAL = (Object.keys(ERROR_TABLE) as ErrorCode[]).filter((code) => ERROR_TABLE[code].final);
jest.setTimeout(600_000);

/**
 * Opt-in measurement of the payment hot path (REDEMPTION_BENCH=1; N payments, W in flight):
 * end to end over NATS (client and service in this jest process), then the PL/pgSQL function alone.
 * Orders are inserted directly so that only payments are timed. Prints payments/s; asserts only
 * correctness (every payment applied once, ledger identities hold).
 */
const run = process.env.REDEMPTION_BENCH === '1' ? it : it.skip;

describe('redemption: payment throughput (opt-in)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;

  beforeAll(async () => {
    if (process.env.REDEMPTION_BENCH !== '1') return;
    sys = await TestSystem.start();
    sys.apps.push(await bootstrapRedemption(sys.config({ DB_POOL_SIZE: Number(process.env.POOL ?? 10), LOG_LEVEL: 'warn' })));
    feed = new UpstreamFeed(sys);
  });
  afterAll(async () => sys?.stop());

  run('R-OFFSET-2: N payments of one programme, W in flight', async () => {
    const N = Number(process.env.N ?? 4000);
    const W = Number(process.env.W ?? 64);
    const JS = await feed.programme('JS', { budgetFen: 10n ** 11n });
    const provider = await feed.provider();
    const ents = await Promise.all(Array.from({ length: 50 }, () => feed.enterprise('JS')));
    for (const e of ents) await feed.quota(e.id, JS, 10_000_000);
    const orders = await sql(
      sys.db.url,
      `INSERT INTO redemption.orders (programme_id, programme_year, programme_version, offset_rate_bp, mode, enterprise_id, enterprise_credit_code,
                                      provider_id, provider_credit_code, amount_fen, status, description, created_by, created_at, confirmed_at)
       SELECT $1, $2, 1, 2500, 'provider_redeems', e.id, e.credit_code, $3, $4, 40000, 'confirmed', 'bench', 'bench', now(), now()
         FROM generate_series(1, $5) g
         JOIN (SELECT id, credit_code, row_number() OVER (ORDER BY id) - 1 AS k FROM redemption.enterprises) e ON e.k = g % 50
       RETURNING id, enterprise_id`,
      [JS, Number(JS.slice(3)), provider.id, provider.creditCode, N],
    );
    const tokens = new Map(ents.map((e) => [e.id, tokenFor(e.principal)]));
    const drive = async (items: typeof orders, pay: (o: (typeof orders)[number]) => Promise<boolean>) => {
      let next = 0;
      let ok = 0;
      const started = Date.now();
      await Promise.all(
        Array.from({ length: W }, async () => {
          while (next < items.length) if (await pay(items[next++])) ok++;
        }),
      );
      return { ok, perSecond: Math.round((items.length / (Date.now() - started)) * 1000) };
    };
    const half = Math.floor(N / 2);
    const nats = await drive(orders.slice(0, half), async (o) => {
      const reply = await sys.client.call(S.orderPay, { orderId: o.id }, { token: tokens.get(o.enterprise_id), idempotencyKey: ikey('bench') });
      return reply.ok;
    });
    const pool = new Pool({ connectionString: sys.db.url, max: Number(process.env.POOL ?? 10) });
    const direct = await drive(orders.slice(half), async (o) => {
      const { rows } = await pool.query('SELECT redemption.pay_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS answer', [
        'bench', ikey('sql'), requestHash({ orderId: o.id }), o.id, 'bench', 'enterprise', o.enterprise_id, new Date(), null, FINAL,
      ]);
      return 'reply' in rows[0].answer;
    });
    await pool.end();
    console.log(`payments/s over NATS (end to end): ${nats.perSecond}; PL/pgSQL function alone: ${direct.perSecond} (N=${N}, W=${W})`);
    expect(nats.ok + direct.ok).toBe(N);
    const [{ n }] = await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.orders WHERE status = 'paid'`);
    expect(n).toBe(N);
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });
});
