import fc from 'fast-check';
import { Subjects } from '@vc/contracts';
import { voucherAmount } from '@vc/domain';
import { sql } from '@vc/testing';
import { paymentBatches, paymentsMade } from '../../../apps/redemption/src/use-cases/payment-batcher';
import { PropertyRedemption, propertyProgrammeArbitraries, startPropertyRedemption } from '../../fixtures/payment-properties';
import { confirmedOrder, ikey } from '../../fixtures/redemption';

const S = Subjects.redemption;
jest.setTimeout(600_000);

async function failedBatches(): Promise<number> {
  return (await paymentBatches.get()).values.find((v) => v.labels.outcome === 'failed')?.value ?? 0;
}

async function batchedPayments(): Promise<number> {
  return (await paymentsMade.get()).values.find((v) => v.labels.path === 'batch')?.value ?? 0;
}

/**
 * R-OFFSET-1..2 and R-LEDGER-1 for payments that arrive together and are made in batches
 * (ADR 0006): for random budgets, rates, quotas and amounts, all payments are sent at once. Taken
 * in the order they were made (their ledger entries), each V is exactly the rule's
 * (voucherAmount of @vc/domain on a model of the balances); each refusal is justified, since the
 * balances only fall: a quota or budget refusal finds that balance at 0 in the end, a rounding
 * refusal has floor(A × rate) = 0. No batch fails, and the balances and the ledger agree.
 */
describe('redemption: batched payments follow the rule for any inputs (fast-check; real PostgreSQL + NATS)', () => {
  let rig: PropertyRedemption;

  beforeAll(async () => {
    rig = await startPropertyRedemption(2060, { PAY_BATCH_MAX: 8, PAY_BATCH_IN_FLIGHT: 2 });
  });
  afterAll(async () => rig?.sys.stop());

  it('R-OFFSET-1/2, R-LEDGER-1: in the order they were made, every V is min(floor(A × rate), quota left, budget left); every refusal names a bound that holds', async () => {
    const batchedBefore = await batchedPayments();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ...propertyProgrammeArbitraries,
          pays: fc.array(fc.record({ who: fc.nat(), amount: fc.integer({ min: 1, max: 5_000_000 }) }), { minLength: 2, maxLength: 16 }),
        }),
        async ({ budget, rateBp, quotas, pays }) => {
          const { sys, feed, provider } = rig;
          const { programmeId, ents } = await rig.nextProgramme({ budget, rateBp, quotas });
          const orders = await Promise.all(
            pays.map(async (p) => ({ who: p.who % ents.length, amount: p.amount, order: await confirmedOrder(sys.client, provider, ents[p.who % ents.length], p.amount) })),
          );
          const failedBefore = await failedBatches();
          const replies = await Promise.all(
            orders.map((o) => sys.client.call(S.orderPay, { orderId: o.order.id }, { principal: ents[o.who].principal, idempotencyKey: ikey('bprop') })),
          );
          expect(await failedBatches()).toBe(failedBefore);

          // the payments made, in the order their ledger entries were written
          const made: Array<{ order_id: string }> = await sql(
            sys.db.url,
            `SELECT order_id FROM redemption.ledger_entries WHERE programme_id = $1 AND entry_type = 'budget_taken' ORDER BY id`,
            [programmeId],
          );
          const quotaLeft = quotas.map((q) => BigInt(q ?? 0));
          let budgetLeft = BigInt(budget);
          for (const { order_id } of made) {
            const i = orders.findIndex((o) => o.order.id === order_id);
            const o = orders[i];
            const expected = voucherAmount({ amount: BigInt(o.amount), offsetRateBp: rateBp, quotaLeft: quotaLeft[o.who], budgetLeft });
            expect(replies[i]).toMatchObject({ ok: true, data: { voucherFen: Number(expected.voucher), enterprisePaysFen: Number(expected.enterprisePays) } });
            quotaLeft[o.who] -= expected.voucher;
            budgetLeft -= expected.voucher;
          }
          expect(replies.filter((r) => r.ok)).toHaveLength(made.length);
          for (const [i, r] of replies.entries()) {
            if (r.ok) continue;
            const o = orders[i];
            if (r.error.code === 'QUOTA_EXHAUSTED') expect(quotaLeft[o.who]).toBe(0n);
            else if (r.error.code === 'BUDGET_EXHAUSTED') expect(budgetLeft).toBe(0n);
            else {
              expect(r.error).toMatchObject({ code: 'INVALID_AMOUNT' });
              expect((BigInt(o.amount) * BigInt(rateBp)) / 10_000n).toBe(0n);
            }
          }
          await feed.expectModelBalances(programmeId, { credited: budget, budgetLeft, ents, quotaLeft });
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 20), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
    );
    // the property was checked on batches, not only on payments that happened to go alone
    expect(await batchedPayments()).toBeGreaterThan(batchedBefore);
  });
});
