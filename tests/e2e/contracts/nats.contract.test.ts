import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import Ajv, { ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmptyDto, REQUEST_CONTRACTS, Subjects } from '@vc/contracts';
import { freePort, sql, TestSystem } from '@vc/testing';
import { IssuanceRpcController } from '../../../apps/issuance/src/issuance.rpc.controller';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { RedemptionRpcController } from '../../../apps/redemption/src/redemption.rpc.controller';
import { RegistryRpcController } from '../../../apps/registry/src/registry.rpc.controller';
import { SettlementRpcController } from '../../../apps/settlement/src/settlement.rpc.controller';
import { confirmedOrder, ikey, UpstreamFeed } from '../../fixtures/redemption';
import { newInvoiceNumber } from '../../fixtures/invoices';

const ASYNCAPI = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'docs', 'asyncapi.json'), 'utf8'));
const PATTERN_METADATA = 'microservices:pattern';
/** Handled by libs/platform's Clock (a plain subscription, every instance), not by the controllers. */
const CLOCK_SUBJECTS = new Set(Object.values(Subjects).map((s) => (s as { clockSet: string }).clockSet));

/** Every @MessagePattern handler of a controller with the DTO its body is validated with (@RpcBody). */
function handlers(controller: Function): Array<{ subject: string; dto: Function }> {
  const out: Array<{ subject: string; dto: Function }> = [];
  for (const name of Object.getOwnPropertyNames(controller.prototype)) {
    const method = controller.prototype[name];
    const patterns: string[] | undefined = typeof method === 'function' ? Reflect.getMetadata(PATTERN_METADATA, method) : undefined;
    if (!patterns) continue;
    const args = Object.values(Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Array<{ data?: unknown }>;
    const dto = args.map((a) => a.data).find((d): d is Function => typeof d === 'function') ?? EmptyDto;
    for (const subject of patterns) out.push({ subject, dto });
  }
  return out;
}

/**
 * A reply of a subject against its reply message in docs/asyncapi.json (closed objects: no
 * undocumented field), or an event envelope against the message of its type.
 */
function replyValidator(): (subject: string, reply: unknown, message?: string) => void {
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === 'allOf' ? v : close(v);
    if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
  };
  const withFormats = (ajv: Ajv) =>
    ajv
      .addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
      .addFormat('date', /^\d{4}-\d{2}-\d{2}$/)
      .addFormat('date-time', { validate: (s: string) => !Number.isNaN(Date.parse(s)) && s.includes('T') })
      .addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) })
      .addFormat('byte', true);
  const ajv = withFormats(new Ajv({ strict: false, allErrors: true }));
  ajv.addSchema(close({ components: { schemas: ASYNCAPI.components.schemas } }) as object, 'asyncapi.json');
  // event payloads are open by design (consumers take the fields they know): checked as documented, not closed
  const events = withFormats(new Ajv({ strict: false, allErrors: true }));
  events.addSchema({ components: { schemas: ASYNCAPI.components.schemas } }, 'asyncapi.json');
  const validators = new Map<string, ValidateFunction>();
  return (subject, reply, message = `${subject}.reply`) => {
    let validate = validators.get(message);
    if (!validate) {
      const schema = ASYNCAPI.components.messages[message].payload;
      validate = (message.endsWith('.reply') ? ajv : events).compile(JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\//g, '"asyncapi.json#/components/schemas/')));
      validators.set(message, validate);
    }
    if (!validate(reply)) throw new Error(`${subject}: the reply does not match docs/asyncapi.json: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(reply).slice(0, 500)}`);
  };
}

describe('contract: the NATS subjects are as docs/asyncapi.json says', () => {
  it('declares every subject the services answer, with the DTO each validates its body with', () => {
    const served = [RegistryRpcController, IssuanceRpcController, RedemptionRpcController, SettlementRpcController].flatMap(handlers);
    expect(served.length).toBeGreaterThan(70);
    for (const { subject, dto } of served) {
      expect([subject, REQUEST_CONTRACTS[subject]?.request.name]).toEqual([subject, dto.name]);
    }
    const servedSubjects = new Set(served.map((h) => h.subject));
    const declaredOnly = Object.keys(REQUEST_CONTRACTS).filter((s) => !servedSubjects.has(s) && !CLOCK_SUBJECTS.has(s));
    expect(declaredOnly).toEqual([]);
  });

  describe('a provider system redeeming over NATS (real PostgreSQL + NATS)', () => {
    let sys: TestSystem;
    let feed: UpstreamFeed;
    const check = replyValidator();

    beforeAll(async () => {
      sys = await TestSystem.start();
      sys.apps.push(await bootstrapRedemption(sys.config({ GRPC_PORT: await freePort(), GRPC_PLAINTEXT: 'true' })));
      feed = new UpstreamFeed(sys);
    }, 120000);
    afterAll(async () => sys?.stop());

    it('every reply of the order flow, and a refusal, matches its reply message', async () => {
      const D = Subjects.redemption;
      const programmeId = await feed.programme('JS', { budgetFen: 100_000_000 });
      const provider = await feed.provider();
      const ent = await feed.enterprise('JS');
      await feed.quota(ent.id, programmeId, 1_000_000);
      const call = async (subject: string, body: unknown, as: { principal: object }, key?: string) => {
        const reply = await sys.client.call(subject, body, { principal: as.principal as never, idempotencyKey: key });
        check(subject, reply);
        return reply as { ok: boolean; data?: any; error?: unknown };
      };
      const created = await call(D.orderCreate, { providerId: provider.id, enterpriseId: ent.id, amountFen: 1_234_567, description: '扫描电镜测试' }, provider, ikey());
      expect(created).toMatchObject({ ok: true, data: { programmeVersion: null, mode: null } });
      await call(D.orderGet, { orderId: created.data!.id }, provider);
      const order = await confirmedOrder(sys.client, provider, ent, 1_234_567);
      await call(D.orderQuote, { orderId: order.id }, provider);
      const paid = await call(D.orderPay, { orderId: order.id }, ent, ikey());
      await call(D.orderComplete, { orderId: order.id }, provider, ikey());
      await call(D.claimSubmit, { orderId: order.id, contractRef: 'HT-1', invoiceNumber: newInvoiceNumber(), invoiceAmountFen: 1_234_567, bankTransferRef: 'BK-1', bankAmountFen: paid.data!.enterprisePaysFen }, provider, ikey());
      await call(D.orderList, { limit: 10 }, provider);
      await call(D.balanceGet, { programmeId, enterpriseId: ent.id }, ent);
      const refused = await call(D.orderPay, { orderId: order.id }, ent, ikey());
      expect(refused).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE' } });
      const invalid = await call(D.orderCreate, { providerId: provider.id, enterpriseId: ent.id, amountFen: -1, description: 'x' }, provider, ikey());
      expect(invalid).toMatchObject({ ok: false, error: { code: 'INVALID_AMOUNT', field: 'amountFen' } });

      // the events this flow made, as redemption publishes them (its outbox), against their messages
      const events = await sql<{ subject: string; envelope: unknown }>(sys.db.url, `SELECT subject, envelope FROM redemption.outbox ORDER BY id`);
      expect(events.map((e) => e.subject)).toEqual(expect.arrayContaining(['voucher.events.order.created', 'voucher.events.order.paid', 'voucher.events.claim.submitted']));
      for (const e of events) check(e.subject, e.envelope, e.subject);
    });
  });
});
