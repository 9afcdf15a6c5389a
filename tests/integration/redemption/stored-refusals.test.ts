import { Events, Subjects } from '@vc/contracts';
import { sql, TestSystem } from '@vc/testing';
import { redemptionService } from '../../../apps/redemption/src/redemption.module';
import { ikey, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';

jest.setTimeout(60_000);

const R = Subjects.redemption;

/**
 * R-OFFSET-2 (as SPEC words it): a retried request returns the first result, a refusal included —
 * only a request that failed without an answer may take effect on retry. Here through
 * UnitOfWork.idempotent (runIdempotent); the payment paths' own SQL is proved in the payment suites.
 */
describe('a refusal is the answer under its idempotency key (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let provider: TestProvider;
  let ent: TestEnterprise;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(redemptionService);
    feed = new UpstreamFeed(sys);
    await feed.programme('JS');
    provider = await feed.provider();
    ent = await feed.enterprise('JS');
  });
  afterAll(async () => sys?.stop());

  const create = () =>
    sys.client.ok(R.orderCreate, { providerId: provider.id, enterpriseId: ent.id, amountFen: 100_000n, description: '材料成分检测' }, { principal: provider.principal, idempotencyKey: ikey() });

  it('R-OFFSET-2, R-REG-4: a confirmation refused while the provider was suspended stays refused under its key after reinstatement; a new key confirms', async () => {
    const order = await create();
    await feed.providerEvent(Events.providerSuspended, provider, { status: 'active', suspended: true, version: 2, excludedProgrammes: [] });
    const key = ikey('confirm');
    const confirm = () => sys.client.call(R.orderConfirm, { orderId: order.id }, { principal: provider.principal, idempotencyKey: key });
    const first = await confirm();
    expect(first).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE' } });
    const [stored] = await sql(sys.db.url, `SELECT reply, refusal FROM redemption.idempotency WHERE key = $1`, [key]);
    expect(stored).toEqual({ reply: null, refusal: (first as { error: unknown }).error });

    await feed.providerEvent(Events.providerReinstated, provider, { status: 'active', suspended: false, version: 3, excludedProgrammes: [] });
    // The same request again, alone and five at once: the first answer every time, and nothing done
    expect(await confirm()).toEqual(first);
    expect(await Promise.all([1, 2, 3, 4, 5].map(() => confirm()))).toEqual([first, first, first, first, first]);
    expect((await sql(sys.db.url, `SELECT provider_confirmed_at FROM redemption.orders WHERE id = $1`, [order.id]))[0].provider_confirmed_at).toBeNull();
    // The same key with another body is a conflict, as for a success
    expect(await sys.client.call(R.orderConfirm, { orderId: (await create()).id }, { principal: provider.principal, idempotencyKey: key })).toMatchObject({
      ok: false,
      error: { code: 'IDEMPOTENCY_CONFLICT' },
    });
    // A new request (new key) is decided on the state as it is now
    const again = await sys.client.ok(R.orderConfirm, { orderId: order.id }, { principal: provider.principal, idempotencyKey: ikey('confirm') });
    expect(again.providerConfirmedAt).toEqual(expect.any(String));
  });

  it('R-OFFSET-2: a refusal of the request itself (not found, bad input) is not stored: the same key works once it can', async () => {
    const order = await create();
    const key = ikey('cancel');
    const stranger = await feed.enterprise('JS');
    const notYours = await sys.client.call(R.orderCancel, { orderId: order.id, reason: '不需要了' }, { principal: stranger.principal, idempotencyKey: key });
    expect(notYours).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sql(sys.db.url, `SELECT 1 FROM redemption.idempotency WHERE key = $1`, [key])).toEqual([]);
  });
});
