import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Events, Subjects } from '@vc/contracts';
import { ERROR_TABLE, ErrorCode } from '@vc/errors';
import { idempotencyScope } from '@vc/platform';
import { PropertyRedemption, startPropertyRedemption } from '../../fixtures/payment-properties';
import { confirmedOrder, ikey } from '../../fixtures/redemption';
import { deltaOperator } from '../../fixtures/principals';

const S = Subjects.redemption;
/** The codes the service tells the pay functions to store (ERROR_TABLE's final ones). */
const FINAL = (Object.keys(ERROR_TABLE) as ErrorCode[]).filter((code) => ERROR_TABLE[code].final);
jest.setTimeout(600_000);

type Answer = { code: string } | { paid: bigint } | { retry: string };

/**
 * Payment eligibility and its refusal order have one home (redemption.payment_refusal and
 * voucher_refusal); this pins that the three callers agree with each other for any state: the
 * quote's refusal is the refusal of the payment made over NATS, of pay_order called alone and of
 * pay_orders called with a batch (each from the same state, in a transaction rolled back), or all
 * three pay the voucher the quote announced. pay_orders may leave a payment to pay_order ("retry")
 * only where the batch cannot decide alone: a voucher part that rounds to 0, a shard run short.
 */
describe('redemption: the quote refuses exactly what the payment refuses (fast-check; real PostgreSQL + NATS)', () => {
  let rig: PropertyRedemption;
  let db: Client;

  beforeAll(async () => {
    rig = await startPropertyRedemption(2060);
    db = new Client({ connectionString: rig.sys.db.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await rig?.sys.stop();
  });

  /** One SQL pay function, from the state as it is, undone afterwards. */
  async function inRollback(call: () => Promise<Answer>): Promise<Answer> {
    await db.query('BEGIN');
    try {
      return await call();
    } catch (err) {
      const e = err as { code?: string; hint?: string; message: string };
      if (e.code === 'P0001' && e.hint === 'vc-domain-error') return { code: e.message };
      throw err;
    } finally {
      await db.query('ROLLBACK');
    }
  }

  it('R-OFFSET-1, R-REG-2..4, R-QUOTA-2: quote refusal = pay refusal (NATS, pay_order, pay_orders) for random provider, programme, quota, budget and amount', async () => {
    const seen = new Set<string>();
    const base = { provider: 'active' as const, programmeClosed: false, yearEnded: false, budget: 100_000_000, budgetSpent: false, quota: 10_000_000, rateBp: 2500, amount: 100_000 };
    // every outcome at least once, whatever the random draws
    const examples = [
      base,
      { ...base, provider: 'suspended' as const },
      { ...base, provider: 'revoked' as const },
      { ...base, provider: 'excluded' as const, budgetSpent: true },
      { ...base, programmeClosed: true, quota: null },
      { ...base, yearEnded: true },
      { ...base, quota: null, budgetSpent: true },
      { ...base, budget: 30_000, budgetSpent: true },
      { ...base, rateBp: 1, amount: 9_999 },
    ].map((e) => [e] as [typeof e]);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          provider: fc.oneof({ weight: 3, arbitrary: fc.constant('active' as const) }, fc.constantFrom('suspended' as const, 'revoked' as const, 'excluded' as const)),
          programmeClosed: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true)),
          yearEnded: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, fc.constant(true)),
          budget: fc.oneof(fc.integer({ min: 1, max: 50_000 }), fc.constant(100_000_000)),
          budgetSpent: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, fc.constant(true)),
          quota: fc.oneof(fc.constant(null), fc.integer({ min: 1, max: 50_000 }), fc.constant(10_000_000)),
          rateBp: fc.integer({ min: 1, max: 10_000 }),
          amount: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5_000_000 })),
        }),
        async (s) => {
          const { sys, feed } = rig;
          const { programmeId, ents } = await rig.nextProgramme({ budget: s.budget, rateBp: s.rateBp, quotas: [s.quota] });
          const [ent] = ents;
          const year = Number(programmeId.slice(3));
          const provider = await feed.provider();
          const order = await confirmedOrder(sys.client, provider, ent, s.amount);
          if (s.budgetSpent) {
            // the budget used up by another enterprise's payment, made as any payment is
            const spender = await feed.enterprise('JS');
            await feed.quota(spender.id, programmeId, s.budget);
            const other = await confirmedOrder(sys.client, provider, spender, (BigInt(s.budget) * 10000n + BigInt(s.rateBp) - 1n) / BigInt(s.rateBp));
            await sys.client.ok(S.orderPay, { orderId: other.id }, { principal: spender.principal, idempotencyKey: ikey('spend') });
            expect(await feed.balance(programmeId)).toMatchObject({ ok: true, data: { budget: { leftFen: 0 } } });
          }
          if (s.provider === 'suspended') await feed.providerEvent(Events.providerSuspended, provider, { status: 'active', suspended: true });
          if (s.provider === 'revoked') await feed.providerEvent(Events.providerRevoked, provider, { status: 'revoked', suspended: false });
          if (s.provider === 'excluded') await feed.providerEvent(Events.providerExcluded, provider, { status: 'active', suspended: false, programmeId });
          if (s.programmeClosed) {
            await feed.programme('JS', { year, budgetFen: s.budget, offsetRateBp: s.rateBp, version: 2, status: 'closed', effectiveFrom: new Date(Date.UTC(year, 0, 1)) });
          }
          const now = s.yearEnded ? new Date(`${year + 1}-01-02T10:00:00+08:00`) : new Date(`${year}-03-01T10:00:00+08:00`);
          await sys.client.ok('redemption.clock.set', { now: now.toISOString() }, { principal: deltaOperator });

          const quote = await sys.client.ok(S.orderQuote, { orderId: order.id }, { principal: ent.principal });
          const scope = idempotencyScope(ent.principal, 'order.pay');
          const alone = await inRollback(async () => {
            const { rows } = await db.query(`SELECT redemption.pay_order($1, $2, 'h', $3, $4, $5, $6, $7, NULL, $8) AS answer`, [
              scope, randomUUID(), order.id, ent.principal.sub, ent.principal.role, ent.principal.org, now, FINAL,
            ]);
            const a = rows[0].answer;
            return 'reply' in a ? { paid: BigInt(a.reply.voucherFen) } : { code: a.error.code };
          });
          const batch = await inRollback(async () => {
            const { rows } = await db.query(`SELECT redemption.pay_orders($1, $2, '{h}', $3, $4, $5, $6, '{NULL}', $7, 0, $8) AS replies`, [
              [scope], [randomUUID()], [order.id], [ent.principal.sub], [ent.principal.role], [ent.principal.org], now, FINAL,
            ]);
            const [a] = rows[0].replies;
            return 'reply' in a ? { paid: BigInt(a.reply.voucherFen) } : 'error' in a ? { code: a.error.code } : { retry: a.retry };
          });
          const paid = await sys.client.call(S.orderPay, { orderId: order.id }, { principal: ent.principal, idempotencyKey: ikey('pay') });
          const overNats: Answer = paid.ok ? { paid: BigInt(paid.data.voucherFen) } : { code: paid.error.code };

          const quoted: Answer = quote.refusal ? { code: quote.refusal } : { paid: BigInt(quote.voucherFen) };
          seen.add('code' in quoted ? quoted.code : 'paid');
          expect({ state: s, answer: overNats }).toEqual({ state: s, answer: quoted });
          expect({ state: s, answer: alone }).toEqual({ state: s, answer: quoted });
          if ('retry' in batch) {
            const byRate = (BigInt(s.amount) * BigInt(s.rateBp)) / 10000n;
            expect({ state: s, retry: batch.retry }).toEqual({ state: s, retry: byRate === 0n ? 'rounds to 0' : 'shard short' });
          } else {
            expect({ state: s, answer: batch }).toEqual({ state: s, answer: quoted });
          }
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 25), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined, examples },
    );
    expect([...seen].sort()).toEqual(
      expect.arrayContaining(['BUDGET_EXHAUSTED', 'INVALID_AMOUNT', 'PROGRAMME_NOT_OPEN', 'PROVIDER_EXCLUDED', 'PROVIDER_NOT_ACTIVE', 'QUOTA_EXHAUSTED', 'paid']),
    );
  });
});
