import { randomUUID } from 'node:crypto';
import { Subjects } from '@vc/contracts';
import { freePort, NatsTestClient, sql, tokenFor } from '@vc/testing';
import { UpstreamFeed } from '../../../tests/fixtures/redemption';
import { natsLoad, LoadResult } from '../load';
import { BenchContext, Scenario } from '../scenarios';

const ENTERPRISES = Number(process.env.BENCH_ENTERPRISES ?? 200);

/**
 * A programme, a provider and enterprises with quota, fed to redemption through the event stream
 * exactly as issuance and the registry would; then confirmed orders in bulk, ready to be paid.
 */
export async function seedPayments(ctx: BenchContext, ordersWanted: number) {
  const client = await NatsTestClient.connect(ctx.nats.url);
  const feed = new UpstreamFeed(client, ctx.db.url);
  const programmeId = await feed.programme('JS', { budgetFen: 10n ** 12n });
  const provider = await feed.provider({ province: 'SH' });
  const enterprises = [];
  for (let i = 0; i < ENTERPRISES; i++) {
    const e = await feed.enterprise('JS');
    await feed.quota(e.id, programmeId, 10_000_000);
    enterprises.push(e);
  }
  const perEnterprise = Math.ceil(ordersWanted / ENTERPRISES);
  await sql(
    ctx.db.url,
    `INSERT INTO redemption.orders (programme_id, programme_year, programme_version, offset_rate_bp, mode, enterprise_id, enterprise_credit_code,
       provider_id, provider_credit_code, amount_fen, status, description, created_by, provider_confirmed_at, enterprise_confirmed_at, confirmed_at, created_at)
     SELECT $1, 2026, 1, 2500, 'provider_redeems', e.id, e.credit_code, $2, $3, 100000, 'confirmed', 'bench', 'bench', now(), now(), now(), now()
       FROM redemption.enterprises e CROSS JOIN generate_series(1, $4)`,
    [programmeId, provider.id, provider.creditCode, perEnterprise],
  );
  const orders: Array<{ id: string; enterprise_id: string }> = await sql(ctx.db.url, `SELECT id, enterprise_id FROM redemption.orders WHERE status = 'confirmed' ORDER BY random()`);
  const tokens = new Map(enterprises.map((e) => [e.id, tokenFor(e.principal)]));
  await client.close();
  return { orders, tokens, programmeId };
}

/** Voucher payment end to end over NATS: idempotency key, quota + budget taken, ledger, outbox, reply. */
export const paymentsOverNats: Scenario = {
  name: 'voucher payment over NATS',
  async run(ctx: BenchContext): Promise<LoadResult[]> {
    await ctx.spawn('redemption', 'redemption', { GRPC_PORT: String(await freePort()), DB_POOL_SIZE: process.env.BENCH_DB_POOL ?? '16' });
    const { orders, tokens } = await seedPayments(ctx, Math.max(20_000, ctx.seconds * 6000));
    let next = 0;
    const result = await natsLoad(ctx.nats.url, 'voucher payment over NATS (end to end)', { concurrency: ctx.concurrency, seconds: ctx.seconds, maxRequests: orders.length }, () => {
      const order = orders[next++];
      return {
        subject: Subjects.redemption.orderPay,
        body: { orderId: order.id },
        headers: { Authorization: `Bearer ${tokens.get(order.enterprise_id)}`, 'Idempotency-Key': randomUUID() },
      };
    });
    const [paid] = await sql(ctx.db.url, `SELECT count(*)::int AS n FROM redemption.orders WHERE status = 'paid'`);
    if (paid.n !== result.ok) throw new Error(`${result.ok} payments acknowledged but ${paid.n} stored`);
    return [result];
  },
};
