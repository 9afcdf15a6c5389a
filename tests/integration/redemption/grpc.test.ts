import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, loadPackageDefinition, status as GrpcStatus } from '@grpc/grpc-js';
import { loadSync as loadProto } from '@grpc/proto-loader';
import { dirname } from 'node:path';
import { loadSync as loadProtobuf } from 'protobufjs';
import { VOUCHER_REDEMPTION_PROTO } from '@vc/contracts';
import { ERROR_TABLE, ErrorCode } from '@vc/errors';
import { freePort, rowCounts, sql, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { RedemptionError, VoucherRedemptionGrpcClient } from '../../../scripts/examples/provider-client/grpc-client';
import { newCreditCode } from '../../fixtures/credit-codes';
import { enterprise as enterprisePrincipal, providerAccount } from '../../fixtures/principals';
import { confirmedOrder, ikey, ledgerDifferences, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';
import { newInvoiceNumber } from '../../fixtures/invoices';

jest.setTimeout(120_000);

/** Rejects with the RedemptionError of a refused call. */
async function refusal(p: Promise<unknown>): Promise<RedemptionError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RedemptionError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('redemption over gRPC (real @grpc/grpc-js client; real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let address: string;
  let JS: string;
  let provider: TestProvider;
  let ent: TestEnterprise;
  let grpc: VoucherRedemptionGrpcClient;

  beforeAll(async () => {
    sys = await TestSystem.start();
    const port = await freePort();
    sys.apps.push(await bootstrapRedemption(sys.config({ GRPC_PORT: port, GRPC_PLAINTEXT: 'true' })));
    address = `127.0.0.1:${port}`;
    feed = new UpstreamFeed(sys);
    JS = await feed.programme('JS', { budgetFen: 1_000_000_000 });
    provider = await feed.provider();
    ent = await feed.enterprise('JS');
    await feed.quota(ent.id, JS, 10_000_000);
    grpc = new VoucherRedemptionGrpcClient({ address, token: tokenFor(provider.principal) });
  });
  afterAll(async () => {
    grpc?.close();
    await sys?.stop();
  });

  it('R-ORDER-1 / R-OFFSET-1 / R-CLAIM-1: a provider system runs an order end to end (create, confirm, quote, pay, complete, claim)', async () => {
    const created = await grpc.createOrder({ providerId: provider.id, enterpriseCreditCode: ent.creditCode, amountFen: 1_234_567n, description: '材料成分检测', externalRef: 'PO-1' });
    expect(created).toMatchObject({ status: 'created', statusEnum: 'ORDER_STATUS_CREATED', amountFen: '1234567', programmeId: JS, externalRef: 'PO-1', enterpriseId: ent.id });
    // the same null rule as HTTP: what an unconfirmed order does not have yet is absent, not 0 or ""
    for (const field of ['programmeVersion', 'mode', 'offsetRateBp', 'enterprisePaysFen', 'confirmedAt', 'paidAt', 'cancelReason'] as const) expect([field, created[field]]).toEqual([field, undefined]);
    expect(created.modeEnum).toBe('PROGRAMME_MODE_UNSPECIFIED');
    await grpc.confirmOrder(created.id);
    // the enterprise confirms on its side (HTTP or NATS)
    await sys.client.ok('redemption.order.confirm', { orderId: created.id }, { principal: ent.principal, idempotencyKey: ikey() });
    const quote = await grpc.quoteVoucher(created.id);
    expect(quote).toMatchObject({ byRateFen: '308641', voucherFen: '308641', enterprisePaysFen: '925926', limitedBy: 'rate', limitedByEnum: 'LIMITED_BY_RATE', modeEnum: 'PROGRAMME_MODE_PROVIDER_REDEEMS' });
    expect(quote.refusal).toBeUndefined();
    const paid = await grpc.payOrder(created.id);
    expect(paid).toMatchObject({ status: 'paid', statusEnum: 'ORDER_STATUS_PAID', voucherFen: '308641', enterprisePaysFen: '925926', programmeVersion: 1, mode: 'provider_redeems', modeEnum: 'PROGRAMME_MODE_PROVIDER_REDEEMS' });
    const done = await grpc.completeOrder(created.id);
    expect(done.status).toBe('completed');
    const claim = await grpc.submitClaim({
      orderId: created.id,
      contractRef: 'HT-1',
      invoiceNumber: newInvoiceNumber(),
      invoiceAmountFen: 1_234_567n,
      bankTransferRef: 'TX-1',
      bankAmountFen: 925_926n,
    });
    expect(claim).toMatchObject({ orderId: created.id, status: 'pending_review', payeeType: 'provider', payeeId: provider.id, voucherFen: '308641' });
    expect(await grpc.getOrder(created.id)).toMatchObject({ id: created.id, status: 'completed' });
  });

  it('R-OFFSET-2: a PayOrder retried with the same idempotency-key returns the first reply; with another request it is ABORTED (IDEMPOTENCY_CONFLICT)', async () => {
    const o1 = await confirmedOrder(sys.client, provider, ent, 400_000);
    const o2 = await confirmedOrder(sys.client, provider, ent, 400_000);
    const key = ikey('grpc');
    const replies = await Promise.all(Array.from({ length: 20 }, () => grpc.payOrder(o1.id, key)));
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(replies[0]).toMatchObject({ status: 'paid', voucherFen: '100000' });
    const conflict = await refusal(grpc.payOrder(o2.id, key));
    expect(conflict).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', grpcStatus: GrpcStatus.ABORTED, field: 'Idempotency-Key' });
  });

  it('R-OFFSET-2, R-CLAIM-3, R-ERR-1: every mutating RPC fired twice at once under two keys: one wins, the other gets its rule\'s status, never INTERNAL; effects once', async () => {
    /** Both calls at once: exactly one succeeds; the other is refused with `code` on `field`, as the error table maps it. */
    async function twins<T>(call: () => Promise<T>, code: string, field: string): Promise<T> {
      const settled = await Promise.allSettled([call(), call()]);
      const won = settled.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled');
      const lost = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
      expect(lost.map((e) => (e instanceof RedemptionError ? { code: e.code, field: e.field, grpc: e.grpcStatus } : String(e)))).toEqual([
        { code, field, grpc: expect.any(Number) },
      ]);
      const [loser] = lost as RedemptionError[];
      expect(loser.grpcStatus).toBe(ERROR_TABLE[loser.code as ErrorCode].grpc);
      expect([GrpcStatus.INTERNAL, GrpcStatus.UNKNOWN, GrpcStatus.UNAVAILABLE]).not.toContain(loser.grpcStatus);
      expect(won).toHaveLength(1);
      return won[0].value as T;
    }
    const externalRef = `PO-TWIN-${randomUUID().slice(0, 8)}`;
    const body = { providerId: provider.id, enterpriseId: ent.id, amountFen: 400_000n, description: '材料成分检测', externalRef };
    const created = await twins(() => grpc.createOrder(body), 'ALREADY_EXISTS', 'externalRef');
    await twins(() => grpc.confirmOrder(created.id), 'ILLEGAL_STATE', 'orderId');
    await sys.client.ok('redemption.order.confirm', { orderId: created.id }, { principal: ent.principal, idempotencyKey: ikey() });
    const paid = await twins(() => grpc.payOrder(created.id), 'ILLEGAL_STATE', 'orderId');
    expect(paid).toMatchObject({ status: 'paid', voucherFen: '100000' });
    await twins(() => grpc.completeOrder(created.id), 'ILLEGAL_STATE', 'orderId');
    const evidence = { orderId: created.id, contractRef: 'HT-TWIN', invoiceNumber: newInvoiceNumber(), invoiceAmountFen: 400_000n, bankTransferRef: 'TX-TWIN', bankAmountFen: 300_000n };
    await twins(() => grpc.submitClaim(evidence), 'CLAIM_EXISTS', 'orderId');
    const other = await confirmedOrder(sys.client, provider, ent, 200_000);
    await grpc.payOrder(other.id);
    await twins(() => grpc.cancelOrder(other.id, '客户取消'), 'ILLEGAL_STATE', 'orderId');

    const once = async (sqlText: string, params: unknown[]) => (await sql(sys.db.url, sqlText, params))[0].n;
    expect(await once(`SELECT count(*)::int AS n FROM redemption.orders WHERE external_ref = $1`, [externalRef])).toBe(1);
    expect(await once(`SELECT count(*)::int AS n FROM redemption.claims WHERE order_id = $1`, [created.id])).toBe(1);
    const entries = await sql(
      sys.db.url,
      `SELECT order_id::text AS "order", entry_type AS type, count(*)::int AS n FROM redemption.ledger_entries WHERE order_id = ANY($1::uuid[]) GROUP BY 1, 2 ORDER BY 1, 2`,
      [[created.id, other.id]],
    );
    const byOrder = (id: string) => entries.filter((e) => e.order === id).map((e) => [e.type, e.n]);
    expect(byOrder(created.id)).toEqual([['budget_taken', 1], ['quota_taken', 1]]);
    expect(byOrder(other.id)).toEqual([['budget_returned', 1], ['budget_taken', 1], ['quota_returned', 1], ['quota_taken', 1]]);
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('R-ERR-1: refusals are gRPC statuses from the error table, with error-code / error-field metadata and the JSON body as details; nothing is written', async () => {
    const code = newCreditCode();
    const own = await feed.enterprise('JS', { creditCode: code });
    const sameEntity = await feed.provider({ creditCode: code });
    const before = await rowCounts(sys.db.url, 'redemption');
    const bad = await refusal(grpc.createOrder({ providerId: provider.id, enterpriseId: ent.id, amountFen: '-5', description: 'x' }));
    expect(bad).toMatchObject({ code: 'INVALID_AMOUNT', field: 'amountFen', grpcStatus: ERROR_TABLE[ErrorCode.INVALID_AMOUNT].grpc });
    expect(bad.grpcStatus).toBe(GrpcStatus.INVALID_ARGUMENT);
    const missing = await refusal(grpc.raw('CreateOrder', { providerId: provider.id, enterpriseId: ent.id, description: 'no amount' }, ikey()));
    expect(missing).toMatchObject({ code: 'INVALID_AMOUNT', field: 'amountFen' });
    const notUuid = await refusal(grpc.getOrder('42'));
    expect(notUuid).toMatchObject({ code: 'VALIDATION_FAILED', field: 'orderId', grpcStatus: GrpcStatus.INVALID_ARGUMENT });
    const unknown = await refusal(grpc.payOrder('00000000-0000-4000-8000-000000000000'));
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', field: 'orderId', grpcStatus: GrpcStatus.NOT_FOUND });
    const noKey = await refusal(grpc.raw('PayOrder', { orderId: '00000000-0000-4000-8000-000000000000' }));
    expect(noKey).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED', grpcStatus: GrpcStatus.INVALID_ARGUMENT });
    const anonymous = new VoucherRedemptionGrpcClient({ address, token: 'forged.token.value' });
    expect(await refusal(anonymous.getOrder('00000000-0000-4000-8000-000000000000'))).toMatchObject({ code: 'UNAUTHENTICATED', grpcStatus: GrpcStatus.UNAUTHENTICATED });
    anonymous.close();
    // refusals of the business rules: R-ENT-3
    const sameEntityClient = new VoucherRedemptionGrpcClient({ address, token: tokenFor(providerAccount(code)) });
    const same = await refusal(sameEntityClient.createOrder({ providerId: sameEntity.id, enterpriseId: own.id, amountFen: 100n, description: 'x' }));
    expect(same).toMatchObject({ code: 'SAME_LEGAL_ENTITY', grpcStatus: GrpcStatus.FAILED_PRECONDITION });
    sameEntityClient.close();
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);
    // QUOTA_EXHAUSTED carries its reason
    const poor = await feed.enterprise('JS');
    await feed.quota(poor.id, JS, 1);
    const o = await confirmedOrder(sys.client, provider, poor, 1_000);
    await grpc.payOrder(o.id); // takes the 1 fen of quota
    const o2 = await confirmedOrder(sys.client, provider, poor, 1_000);
    const exhausted = await refusal(grpc.payOrder(o2.id));
    expect(exhausted).toMatchObject({ code: 'QUOTA_EXHAUSTED', grpcStatus: GrpcStatus.FAILED_PRECONDITION, details: { quotaLeftFen: 0 } });
  });

  it('R-ERR-1: a refusal carries the standard google.rpc.Status details: ErrorInfo with the code and facts, BadRequest with the field', async () => {
    const rpc = loadProtobuf([join(dirname(VOUCHER_REDEMPTION_PROTO), 'google', 'rpc', 'status.proto'), join(dirname(VOUCHER_REDEMPTION_PROTO), 'google', 'rpc', 'error_details.proto')]);
    const decode = (err: RedemptionError) => {
      const [bytes] = err.trailers!.get('grpc-status-details-bin') as Buffer[];
      const status = rpc.lookupType('google.rpc.Status').toObject(rpc.lookupType('google.rpc.Status').decode(bytes)) as { code: number; message: string; details: Array<{ type_url: string; value: Uint8Array }> };
      const detail = (name: string) => {
        const any = status.details.find((d) => d.type_url === `type.googleapis.com/google.rpc.${name}`);
        return any && rpc.lookupType(`google.rpc.${name}`).toObject(rpc.lookupType(`google.rpc.${name}`).decode(any.value));
      };
      return { status, errorInfo: detail('ErrorInfo'), badRequest: detail('BadRequest') };
    };
    const bad = decode(await refusal(grpc.createOrder({ providerId: provider.id, enterpriseId: ent.id, amountFen: '0', description: 'x' })));
    expect(bad.status).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    expect(bad.errorInfo).toEqual({ reason: 'INVALID_AMOUNT', domain: 'voucher.redemption.v1', metadata: { field: 'amountFen' } });
    expect(bad.badRequest).toEqual({ fieldViolations: [{ field: 'amountFen', description: expect.stringContaining('amountFen') }] });
    const poor = await feed.enterprise('JS');
    await feed.quota(poor.id, JS, 1);
    await grpc.payOrder((await confirmedOrder(sys.client, provider, poor, 1_000)).id);
    const exhausted = decode(await refusal(grpc.payOrder((await confirmedOrder(sys.client, provider, poor, 1_000)).id)));
    expect(exhausted.status.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(exhausted.errorInfo).toMatchObject({ reason: 'QUOTA_EXHAUSTED', domain: 'voucher.redemption.v1', metadata: { quotaLeftFen: '0' } });
  });

  it('server reflection lists the service and serves its descriptor, enums included (as grpcurl uses it)', async () => {
    const reflectionProto = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
    const pkg = loadPackageDefinition(loadProto(reflectionProto, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true })) as any;
    const client = new pkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
    const stream = client.ServerReflectionInfo();
    const ask = (req: object) => new Promise<any>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
      stream.write(req);
    });
    try {
      const listed = await ask({ list_services: '' });
      expect(listed.list_services_response.service.map((s: { name: string }) => s.name)).toContain('voucher.redemption.v1.VoucherRedemption');
      const file = await ask({ file_containing_symbol: 'voucher.redemption.v1.VoucherRedemption' });
      const descriptors = Buffer.concat(file.file_descriptor_response.file_descriptor_proto).toString('latin1');
      for (const name of ['QuoteVoucher', 'PayOrder', 'ORDER_STATUS_PAID', 'LIMITED_BY_BUDGET', 'PROGRAMME_MODE_ENTERPRISE_REIMBURSED', 'enterprise_pays_fen']) expect(descriptors).toContain(name);
    } finally {
      stream.end();
      client.close();
    }
  });

  it('a provider acts only on its own orders over gRPC (cross-tenant → NOT_FOUND)', async () => {
    const order = await confirmedOrder(sys.client, provider, ent, 100_000);
    const other = await feed.provider();
    const otherClient = new VoucherRedemptionGrpcClient({ address, token: tokenFor(other.principal) });
    expect(await refusal(otherClient.getOrder(order.id))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await refusal(otherClient.payOrder(order.id))).toMatchObject({ code: 'NOT_FOUND' });
    otherClient.close();
    // the enterprise may use the same interface with its own token
    const entClient = new VoucherRedemptionGrpcClient({ address, token: tokenFor(enterprisePrincipal(ent.id)) });
    expect(await entClient.getOrder(order.id)).toMatchObject({ id: order.id });
    entClient.close();
  });
});

describe('redemption over gRPC with mutual TLS (certificates made with openssl)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let dir: string;
  let address: string;
  let ent: TestEnterprise;
  let unitA: TestProvider;
  let unitB: TestProvider; // another unit of unitA's legal entity
  let stranger: TestProvider;

  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  /** A key and a certificate signed by `ca` (or self-signed CA when ca is null). */
  function certificate(name: string, cn: string, ca: string | null, san?: string) {
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    if (san) writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    if (ca === null) {
      openssl('x509', '-req', '-in', `${name}.csr`, '-signkey', `${name}.key`, '-out', `${name}.crt`, '-days', '1');
    } else {
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', ...(san ? ['-extfile', `${name}.ext`] : []));
    }
  }
  const read = (f: string) => readFileSync(join(dir, f));
  const client = (certName: string, token: string, ca = 'ca') =>
    new VoucherRedemptionGrpcClient({ address, token, tls: { ca: read(`${ca}.crt`), cert: read(`${certName}.crt`), key: read(`${certName}.key`) }, timeoutMs: 5000 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vc-grpc-tls-'));
    const unitAId = randomUUID();
    certificate('ca', 'voucher-test-ca', null);
    certificate('server', 'localhost', 'ca', 'DNS:localhost,IP:127.0.0.1');
    certificate('unitA', unitAId, 'ca');
    certificate('other-ca', 'someone-else', null);
    certificate('rogue', unitAId, 'other-ca');
    sys = await TestSystem.start();
    const port = await freePort();
    sys.apps.push(await bootstrapRedemption(sys.config({ GRPC_PORT: port, GRPC_TLS_DIR: dir })));
    address = `localhost:${port}`;
    feed = new UpstreamFeed(sys);
    const code = newCreditCode();
    unitA = await feed.provider({ id: unitAId, creditCode: code, unitName: '材料学院' });
    unitB = await feed.provider({ creditCode: code, unitName: '化学学院' });
    stranger = await feed.provider();
    const JS = await feed.programme('JS', { budgetFen: 1_000_000_000 });
    ent = await feed.enterprise('JS');
    await feed.quota(ent.id, JS, 10_000_000);
  });
  afterAll(async () => {
    await sys?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the client certificate names the provider unit: its own token works, and a legal-entity token acts for that unit only', async () => {
    const a = client('unitA', tokenFor(unitA.principal));
    const order = await a.createOrder({ providerId: unitA.id, enterpriseId: ent.id, amountFen: 400_000n, description: 'x' });
    await a.confirmOrder(order.id);
    await sys.client.ok('redemption.order.confirm', { orderId: order.id }, { principal: ent.principal, idempotencyKey: ikey() });
    expect(await a.payOrder(order.id)).toMatchObject({ status: 'paid', voucherFen: '100000' });
    a.close();

    // the entity account through unit A's certificate: unit A's orders yes, unit B's no
    const entity = client('unitA', tokenFor(providerAccount(unitA.creditCode)));
    expect(await entity.getOrder(order.id)).toMatchObject({ id: order.id });
    const bOrder = await sys.client.ok(
      'redemption.order.create',
      { providerId: unitB.id, enterpriseId: ent.id, amountFen: 100_000, description: 'x' },
      { principal: unitB.principal, idempotencyKey: ikey() },
    );
    expect(await refusal(entity.getOrder(bOrder.id))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await refusal(entity.createOrder({ providerId: unitB.id, enterpriseId: ent.id, amountFen: 100n, description: 'x' }))).toMatchObject({ code: 'NOT_FOUND', field: 'providerId' });
    entity.close();
  });

  it('a token of another provider (or of an enterprise) through unit A’s certificate is refused with PERMISSION_DENIED', async () => {
    const wrongToken = client('unitA', tokenFor(stranger.principal));
    expect(await refusal(wrongToken.getOrder('00000000-0000-4000-8000-000000000000'))).toMatchObject({ code: 'FORBIDDEN', grpcStatus: GrpcStatus.PERMISSION_DENIED });
    wrongToken.close();
    const enterpriseToken = client('unitA', tokenFor(ent.principal));
    expect(await refusal(enterpriseToken.getOrder('00000000-0000-4000-8000-000000000000'))).toMatchObject({ code: 'FORBIDDEN' });
    enterpriseToken.close();
  });

  it('without a client certificate, or with one from another CA, there is no connection', async () => {
    const plain = new VoucherRedemptionGrpcClient({ address, token: tokenFor(unitA.principal), timeoutMs: 3000 });
    expect(await refusal(plain.getOrder('00000000-0000-4000-8000-000000000000'))).toMatchObject({ code: 'UNAVAILABLE' });
    plain.close();
    const noCert = new VoucherRedemptionGrpcClient({ address, token: tokenFor(unitA.principal), tls: { ca: read('ca.crt') }, timeoutMs: 3000 });
    expect(await refusal(noCert.getOrder('00000000-0000-4000-8000-000000000000'))).toMatchObject({ code: 'UNAVAILABLE' });
    noCert.close();
    const rogue = client('rogue', tokenFor(unitA.principal));
    expect(await refusal(rogue.getOrder('00000000-0000-4000-8000-000000000000'))).toMatchObject({ code: 'UNAVAILABLE' });
    rogue.close();
  });
});
