import fc from 'fast-check';
import { credentials, loadPackageDefinition, Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { VOUCHER_REDEMPTION_PROTO } from '@vc/contracts';
import { freePort, rowCounts, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { confirmedOrder, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';

const RUNS = Number(process.env.GRPC_FUZZ_RUNS ?? 3000);
/** refusals a malformed request may get; never INTERNAL, UNKNOWN or a crash */
const CLEAN = new Set([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.NOT_FOUND, GrpcStatus.PERMISSION_DENIED, GrpcStatus.FAILED_PRECONDITION]);

/**
 * Hostile input over gRPC (the third interface of the fuzz suite, beside fuzz.test.ts for HTTP and
 * NATS): malformed field values for every mutating method, and raw bytes that are not protobuf at all.
 */
describe('hostile input over gRPC (real @grpc/grpc-js client)', () => {
  let sys: TestSystem;
  let client: any;
  let provider: TestProvider;
  let ent: TestEnterprise;
  let orderId: string;

  beforeAll(async () => {
    sys = await TestSystem.start();
    const port = await freePort();
    sys.apps.push(await bootstrapRedemption(sys.config({ GRPC_PORT: port, GRPC_PLAINTEXT: 'true' })));
    const feed = new UpstreamFeed(sys);
    const programmeId = await feed.programme('JS', { budgetFen: 1_000_000_000 });
    provider = await feed.provider();
    ent = await feed.enterprise('JS');
    await feed.quota(ent.id, programmeId, 10_000_000);
    orderId = (await confirmedOrder(sys.client, provider, ent, 100_000)).id;
    const definition = loadSync(VOUCHER_REDEMPTION_PROTO, { keepCase: false, longs: String, enums: String, defaults: false, oneofs: true });
    const pkg = loadPackageDefinition(definition) as any;
    client = new pkg.voucher.redemption.v1.VoucherRedemption(`127.0.0.1:${port}`, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await sys?.stop();
  });

  function call(method: string, request: unknown, key: string): Promise<number> {
    const md = new Metadata();
    md.set('authorization', `Bearer ${tokenFor(provider.principal)}`);
    md.set('idempotency-key', key);
    return new Promise((resolve) => client[method](request, md, { deadline: Date.now() + 10000 }, (err: { code: number } | null) => resolve(err ? err.code : GrpcStatus.OK)));
  }

  function raw(method: string, bytes: Buffer, key: string): Promise<number> {
    const md = new Metadata();
    md.set('authorization', `Bearer ${tokenFor(provider.principal)}`);
    md.set('idempotency-key', key);
    return new Promise((resolve) =>
      client.makeUnaryRequest(`/voucher.redemption.v1.VoucherRedemption/${method}`, (b: Buffer) => b, (b: Buffer) => b, bytes, md, (err: { code: number } | null) =>
        resolve(err ? err.code : GrpcStatus.OK),
      ),
    );
  }

  it(`R-ERR-1: ${RUNS} malformed gRPC requests → clean INVALID_ARGUMENT-class statuses, 0 server errors, 0 rows written`, async () => {
    const junkString = fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }), fc.constant('00000000-0000-0000-0000-00000000000z'), fc.string({ minLength: 600, maxLength: 700 }));
    const junkFen = fc.oneof(fc.constant('-5'), fc.constant('0'), fc.constant('1000000000001'), fc.constant('9223372036854775807'), fc.constant('-9223372036854775808'));
    const requests = fc.oneof(
      fc.record({ providerId: junkString, enterpriseId: junkString, amountFen: junkFen, description: junkString }).map((r) => ['createOrder', r] as const),
      fc.record({ providerId: fc.constant(provider.id), enterpriseId: fc.constant(ent.id), amountFen: junkFen, description: fc.constant('x') }).map((r) => ['createOrder', r] as const),
      fc.record({ orderId: junkString }).map((r) => ['payOrder', r] as const),
      fc.record({ orderId: junkString, reason: junkString }).map((r) => ['cancelOrder', r] as const),
      fc
        .record({ orderId: fc.constant(orderId), contractRef: junkString, invoiceNumber: junkString, invoiceAmountFen: junkFen, bankTransferRef: junkString, bankAmountFen: junkFen })
        .map((r) => ['submitClaim', r] as const),
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => ['raw', bytes] as const),
    );
    const before = await rowCounts(sys.db.url, 'redemption');
    const samples = fc.sample(requests, { numRuns: RUNS, seed: 42 });
    const statuses = new Map<number, number>();
    let n = 0;
    for (let i = 0; i < samples.length; i += 50) {
      const codes = await Promise.all(
        samples.slice(i, i + 50).map(([method, body]) =>
          method === 'raw' ? raw(['CreateOrder', 'PayOrder', 'SubmitClaim'][n % 3], Buffer.from(body as Uint8Array), `g-${++n}`) : call(method, body, `g-${++n}`),
        ),
      );
      codes.forEach((code, j) => {
        statuses.set(code, (statuses.get(code) ?? 0) + 1);
        if (!CLEAN.has(code) && process.env.GRPC_FUZZ_DEBUG) console.log(code, samples[i + j][0], JSON.stringify(samples[i + j][1]).slice(0, 200));
      });
    }
    console.log(`grpc fuzz: ${samples.length} malformed requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    const unclean = [...statuses.keys()].filter((code) => !CLEAN.has(code));
    expect(unclean).toEqual([]);
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);
  }, 300000);
});
