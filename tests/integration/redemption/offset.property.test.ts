import fc from 'fast-check';
import { Subjects } from '@vc/contracts';
import { voucherAmount } from '@vc/domain';
import { PropertyRedemption, propertyProgrammeArbitraries, startPropertyRedemption } from '../../fixtures/payment-properties';
import { confirmedOrder, ikey } from '../../fixtures/redemption';

const S = Subjects.redemption;
jest.setTimeout(600_000);

type Op = { kind: 'pay'; who: number; amount: number } | { kind: 'cancel'; pick: number };

/**
 * R-OFFSET-1..3 and R-LEDGER-1 as properties: for random budgets, quotas, offset rates and
 * sequences of payments and cancellations, every V and every refusal is what the rule gives
 * (voucherAmount of @vc/domain on a model of the balances), and the balances and ledger agree.
 * Each run is a fresh programme year on the simulated business clock.
 */
describe('redemption: V and the balances follow the rule for any inputs (fast-check; real PostgreSQL + NATS)', () => {
  let rig: PropertyRedemption;

  beforeAll(async () => {
    rig = await startPropertyRedemption(2040);
  });
  afterAll(async () => rig?.sys.stop());

  it('R-OFFSET-1/3, R-LEDGER-1: V = min(floor(A × rate), quota left, budget left); refusals name the bound; cancels give V back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ...propertyProgrammeArbitraries,
          ops: fc.array(
            fc.oneof(
              { weight: 3, arbitrary: fc.record({ kind: fc.constant('pay' as const), who: fc.nat(), amount: fc.integer({ min: 1, max: 5_000_000 }) }) },
              { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
            ),
            { minLength: 1, maxLength: 8 },
          ),
        }),
        async ({ budget, rateBp, quotas, ops }) => {
          const { sys, feed, provider } = rig;
          const { programmeId, ents } = await rig.nextProgramme({ budget, rateBp, quotas });
          const quotaLeft = quotas.map((q) => BigInt(q ?? 0));
          let budgetLeft = BigInt(budget);
          const paid: Array<{ id: string; who: number; v: bigint }> = [];
          for (const op of ops as Op[]) {
            if (op.kind === 'pay') {
              const who = op.who % ents.length;
              const order = await confirmedOrder(sys.client, provider, ents[who], op.amount);
              const expected = voucherAmount({ amount: BigInt(op.amount), offsetRateBp: rateBp, quotaLeft: quotaLeft[who], budgetLeft });
              const reply = await sys.client.call(S.orderPay, { orderId: order.id }, { principal: ents[who].principal, idempotencyKey: ikey('prop') });
              if (expected.voucher === 0n) {
                const code = expected.limitedBy === 'quota' ? 'QUOTA_EXHAUSTED' : expected.limitedBy === 'budget' ? 'BUDGET_EXHAUSTED' : 'INVALID_AMOUNT';
                expect(reply).toMatchObject({ ok: false, error: { code } });
              } else {
                expect(reply).toMatchObject({ ok: true, data: { voucherFen: Number(expected.voucher), enterprisePaysFen: Number(expected.enterprisePays) } });
                quotaLeft[who] -= expected.voucher;
                budgetLeft -= expected.voucher;
                paid.push({ id: order.id, who, v: expected.voucher });
              }
            } else if (paid.length > 0) {
              const [order] = paid.splice(op.pick % paid.length, 1);
              await sys.client.ok(S.orderCancel, { orderId: order.id, reason: 'property' }, { principal: ents[order.who].principal, idempotencyKey: ikey('c') });
              quotaLeft[order.who] += order.v;
              budgetLeft += order.v;
            }
          }
          await feed.expectModelBalances(programmeId, { credited: budget, budgetLeft, ents, quotaLeft });
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 25), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
    );
  });
});
