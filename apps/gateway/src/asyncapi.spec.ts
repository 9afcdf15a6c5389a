import { Parser } from '@asyncapi/parser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_CATALOG, REQUEST_CONTRACTS } from '@vc/contracts';
import { natsAsyncApi } from '../../../scripts/contracts/documents';

const kept = () => readFileSync(join(__dirname, '..', '..', '..', 'docs', 'asyncapi.json'), 'utf8');

/**
 * docs/asyncapi.json is the contract of the NATS interface (request subjects and events) that a
 * provider system or another integrator builds on; it must be what the gateway serves at
 * /docs/asyncapi.json and a valid AsyncAPI 3 document.
 */
describe('docs/asyncapi.json', () => {
  let parsed: Awaited<ReturnType<Parser['parse']>>;
  beforeAll(async () => {
    parsed = await new Parser().parse(kept());
  });

  it('is the document generated from libs/contracts (regenerate with npm run contracts)', async () => {
    expect(JSON.parse(await natsAsyncApi())).toEqual(JSON.parse(kept()));
  });

  it('is a valid AsyncAPI 3 document by the AsyncAPI parser, without errors or warnings', async () => {
    const { document, diagnostics } = parsed;
    // severity 0 error, 1 warning, 2 information, 3 hint
    expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
  });

  it('declares every event type of the catalog as sent by its owner, signed, in its envelope', () => {
    const { document } = parsed;
    const operations = new Map(document!.operations().all().map((op) => [op.channels().all()[0]?.address(), op]));
    for (const [type, definition] of Object.entries(EVENT_CATALOG)) {
      const op = operations.get(type);
      expect([type, op?.action(), op?.tags().all().map((t) => t.name())]).toEqual([type, 'send', ['events', definition.owner]]);
      const message = op!.messages().all()[0];
      expect((message.headers()?.json() as { required: string[] }).required).toEqual(expect.arrayContaining(['Nats-Msg-Id', 'Vc-Signer', 'Vc-Signature']));
      expect((message.payload()?.json() as { properties: { type: { const: string } } }).properties.type.const).toBe(type);
    }
  });

  it('declares every request subject with its request, reply and headers', async () => {
    const { document } = parsed;
    const operations = new Map(document!.operations().all().map((op) => [op.channels().all()[0]?.address(), op]));
    for (const [subject, contract] of Object.entries(REQUEST_CONTRACTS)) {
      const op = operations.get(subject);
      expect([subject, op?.action()]).toEqual([subject, 'receive']);
      const request = op!.messages().all()[0];
      const headers = request.headers()?.json() as { properties: Record<string, unknown>; required?: string[] };
      expect([subject, headers.required?.includes('Idempotency-Key') ?? false]).toEqual([subject, contract.idempotency === 'required']);
      expect([subject, headers.required?.includes('Authorization') ?? false]).toEqual([subject, contract.auth !== 'optional']);
      expect([subject, op!.reply()?.messages().all().length]).toEqual([subject, 1]);
    }
  });
});
