import { status as GrpcStatus } from '@grpc/grpc-js';
import { Events, HeartbeatEvent, Subjects } from '@vc/contracts';
import { freePort, holdOutboxRelay, rowCounts, sql, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { registryService } from '../../../apps/registry/src/registry.module';
import { RedemptionError, VoucherRedemptionGrpcClient } from '../../../scripts/examples/provider-client/grpc-client';
import { newCreditCode } from '../../fixtures/credit-codes';
import { operatorOf, providerAccount, providerUnit } from '../../fixtures/principals';
import { confirmedOrder, ikey, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';

jest.setTimeout(120_000);

const R = Subjects.redemption;
// long enough that a loaded machine keeps the copy fresh while heartbeats flow (every 250 ms), short for the stale cases
const MAX_AGE_SECONDS = 8;

/**
 * R-REG-2..4 with redemption's copy of the registry's providers (docs/reliability.md, "Copies"): the
 * real registry sends its heartbeats; its relay is then held (its outbox lock taken, as a relay that
 * cannot reach NATS would leave it), the provider is suspended in the registry, and redemption —
 * whose copy still says active — must not pay it once the copy is older than its bound.
 */
describe('redemption refuses to decide with a stale copy of the providers (real registry, PostgreSQL, NATS)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let grpc: VoucherRedemptionGrpcClient;
  let provider: TestProvider;
  let ent: TestEnterprise;
  let JS: string;
  let relay: { release(): Promise<void> } | null = null;
  async function holdRegistryRelay(): Promise<void> {
    relay = await holdOutboxRelay(sys.db.url, 'registry');
  }
  async function releaseRegistryRelay(): Promise<void> {
    await relay?.release();
  }
  const quoteRefusal = async (orderId: string): Promise<string | null> => (await sys.client.ok(R.orderQuote, { orderId }, { principal: provider.principal })).refusal ?? null;
  const until = <T>(probe: () => Promise<T>, what: string) => feed.until(probe, what, 20_000);

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService, { HEARTBEAT_INTERVAL_MS: 250 });
    const port = await freePort();
    sys.apps.push(await bootstrapRedemption(sys.config({ GRPC_PORT: port, GRPC_PLAINTEXT: 'true', COPY_MAX_AGE_SECONDS: MAX_AGE_SECONDS })));
    feed = new UpstreamFeed(sys);
    JS = await feed.programme('JS', { budgetFen: 1_000_000_000 });
    // Issuance is not running (its heartbeats are sent for it); the registry is, and vouches for providers itself.
    sys.events.stopHeartbeats(['providers']);
    const code = newCreditCode();
    const applied = await sys.client.ok(
      Subjects.registry.providerApply,
      { creditCode: code, legalName: '长三角测试研究院', unitName: '测试中心', kind: 'testing_centre', province: 'ZJ' },
      { principal: providerAccount(code), idempotencyKey: ikey() },
    );
    provider = { id: applied.id, creditCode: code, unitName: '测试中心', legalName: '长三角测试研究院', province: 'ZJ', principal: providerUnit(applied.id) };
    await until(async () => (await sql(sys.db.url, `SELECT 1 FROM redemption.providers WHERE id = $1 AND status = 'active'`, [provider.id])).length > 0, 'the provider in redemption');
    ent = await feed.enterprise('JS');
    await feed.quota(ent.id, JS, 10_000_000);
    grpc = new VoucherRedemptionGrpcClient({ address: `127.0.0.1:${port}`, token: tokenFor(provider.principal) });
  });
  afterAll(async () => {
    grpc?.close();
    await releaseRegistryRelay();
    await sys?.stop();
  });

  it('R-REG-4, R-OFFSET-1: a provider suspended while its events cannot reach redemption is not paid: COPY_STALE (retryable, nothing written), then PROVIDER_NOT_ACTIVE', async () => {
    const order = await confirmedOrder(sys.client, provider, ent, 400_000);
    expect(await quoteRefusal(order.id)).toBeNull();

    await holdRegistryRelay();
    // The registry suspends it (R-REG-4); the suspension waits in the registry's outbox.
    await sys.client.ok(
      Subjects.registry.creditFile,
      { creditCode: provider.creditCode, severity: 'serious', reason: '虚假申报', effectiveFrom: '2026-01-01' },
      { principal: operatorOf('ZJ'), idempotencyKey: ikey() },
    );
    expect((await sys.client.ok(Subjects.registry.providerGet, { providerId: provider.id }, { principal: operatorOf('ZJ') })).suspended).toBe(true);
    expect((await sql(sys.db.url, `SELECT suspended FROM redemption.providers WHERE id = $1`, [provider.id]))[0].suspended).toBe(false);

    // Once redemption's copy is older than its bound, it says so rather than pay
    await until(async () => (await quoteRefusal(order.id)) === 'COPY_STALE', 'the copy to go stale');
    const before = await rowCounts(sys.db.url, 'redemption');
    const overNats = await sys.client.call(R.orderPay, { orderId: order.id }, { principal: ent.principal, idempotencyKey: ikey('pay') });
    expect(overNats).toMatchObject({ ok: false, error: { code: 'COPY_STALE', field: 'orderId', details: { copy: 'providers', owner: 'registry', maxAgeSeconds: MAX_AGE_SECONDS } } });
    const overGrpc = await grpc.payOrder(order.id).then(
      () => null,
      (err: unknown) => err,
    );
    expect(overGrpc).toBeInstanceOf(RedemptionError);
    expect(overGrpc).toMatchObject({ code: 'COPY_STALE', grpcStatus: GrpcStatus.UNAVAILABLE, field: 'orderId' });
    const created = await sys.client.call(
      R.orderCreate,
      { providerId: provider.id, enterpriseId: ent.id, amountFen: 100_000n, description: '材料成分检测' },
      { principal: provider.principal, idempotencyKey: ikey('create') },
    );
    expect(created).toMatchObject({ ok: false, error: { code: 'COPY_STALE', field: 'providerId' } });
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);

    // A heartbeat dated in the future (signed by the registry) vouches for now at most: the copy is stale again after the bound
    const ahead: HeartbeatEvent = { copy: 'providers', emittedAt: new Date(Date.now() + 86_400_000).toISOString() };
    await sys.events.publish(Events.providerHeartbeat, 'providers', ahead);
    await until(async () => (await quoteRefusal(order.id)) === null, 'the future-dated heartbeat to be applied');
    await until(async () => (await quoteRefusal(order.id)) === 'COPY_STALE', 'the copy to go stale again');

    // The relay resumes: the suspension arrives with the heartbeats after it, and the payment is refused for what it is
    await releaseRegistryRelay();
    await until(async () => (await quoteRefusal(order.id)) === 'PROVIDER_NOT_ACTIVE', 'the suspension in redemption');
    const refused = await sys.client.call(R.orderPay, { orderId: order.id }, { principal: ent.principal, idempotencyKey: ikey('pay') });
    expect(refused).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE' } });
    expect((await sql(sys.db.url, `SELECT status FROM redemption.orders WHERE id = $1`, [order.id]))[0].status).toBe('confirmed');
  });

  it('R-PROG-1: the second confirmation fixes the programme version only with a fresh copy of the programmes', async () => {
    const other = await feed.provider();
    const created = await sys.client.ok(
      R.orderCreate,
      { providerId: other.id, enterpriseId: ent.id, amountFen: 100_000n, description: '材料成分检测' },
      { principal: other.principal, idempotencyKey: ikey() },
    );
    await sys.client.ok(R.orderConfirm, { orderId: created.id }, { principal: other.principal, idempotencyKey: ikey() });
    // Issuance goes quiet: no more heartbeats, so nothing vouches that no newer version is on its way
    sys.events.stopHeartbeats(['programmes']);
    await new Promise((r) => setTimeout(r, (MAX_AGE_SECONDS + 1) * 1000));
    const key = ikey('ec');
    const stale = await sys.client.call(R.orderConfirm, { orderId: created.id }, { principal: ent.principal, idempotencyKey: key });
    expect(stale).toMatchObject({ ok: false, error: { code: 'COPY_STALE', field: 'orderId', details: { copy: 'programmes', owner: 'issuance' } } });
    expect((await sql(sys.db.url, `SELECT status, programme_version FROM redemption.orders WHERE id = $1`, [created.id]))[0]).toEqual({ status: 'created', programme_version: null });
    // Heartbeats again: the same request, retried with its key, takes effect
    await sys.events.keepFresh(['programmes']);
    const confirmed = await feed.until(async () => {
      const r = await sys.client.call(R.orderConfirm, { orderId: created.id }, { principal: ent.principal, idempotencyKey: key });
      return r.ok ? r.data : null;
    }, 'a fresh copy of the programmes', 20_000);
    expect(confirmed).toMatchObject({ status: 'confirmed', programmeVersion: 1 });
  });
});
