import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { dtoComponents, EVENT_STREAM, Headers, REQUEST_CONTRACTS, SCHEMA_REF_PREFIX } from '@vc/contracts';
import { ERROR_SCHEMA } from './http/api-operation';
import { ERROR_BODY } from './openapi';

/** The local NATS server (`npm run infra:up`). */
export const LOCAL_NATS = '127.0.0.1:14222';

type Schema = Record<string, any>;

const DESCRIPTION = `The NATS interface of the clearing system for the Yangtze River Delta innovation vouchers: every
request-reply subject of the services (queue groups; a provider system redeems vouchers on
\`redemption.*\`), and the events of the JetStream stream ${EVENT_STREAM} (\`voucher.events.>\`).

- **Requests** carry a JSON body and the headers \`Authorization: Bearer <token>\` (one principal),
  \`Idempotency-Key\` on every mutation (the same key with the same body returns the first reply;
  with another body IDEMPOTENCY_CONFLICT) and optionally \`X-Correlation-Id\`.
- **Replies** are \`{"ok": true, "data": …}\` or \`{"ok": false, "error": {"code", "message", "field", "details"}}\`
  (ADR 0002); the codes are the ErrorCode table's, as over HTTP and gRPC.
- **Money** is integer fen (JSON numbers); a request may give an amount as a decimal string too.
- **Nulls**: a field documented as nullable is present with null when it has no value.

The same operations over HTTP: docs/openapi.json.`;

/**
 * An OpenAPI 3.0 schema as JSON Schema draft 07, the AsyncAPI schema format: `nullable` becomes a
 * null type, `example` becomes `examples`, references point into this document's components.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const { nullable, example, ...rest } = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(rest)) out[k] = k === '$ref' ? v : toJsonSchema(v);
  if (example !== undefined) out.examples = [example];
  if (nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.allOf || out.$ref) {
      const { description, type: _t, ...inner } = out;
      return { ...(description ? { description } : {}), anyOf: [{ type: 'null' }, inner] };
    }
  }
  return out;
}

const ref = (name: string) => ({ $ref: `${SCHEMA_REF_PREFIX}${name}` });

/** The headers of a request: the principal's token, the idempotency key of a mutation, a correlation id. */
function requestHeaders(contract: (typeof REQUEST_CONTRACTS)[string]): Schema {
  const properties: Schema = {
    [Headers.Authorization]: { type: 'string', pattern: '^Bearer ', description: "the principal's bearer token" },
    [Headers.CorrelationId]: { type: 'string', maxLength: 200, description: 'carried into logs, events and replies' },
  };
  const required: string[] = [];
  if (contract.auth !== 'optional') required.push(Headers.Authorization);
  if (contract.idempotency) {
    properties[Headers.IdempotencyKey] = {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description:
        contract.idempotency === 'required'
          ? 'same key + same body returns the first reply; another body IDEMPOTENCY_CONFLICT'
          : 'optional: the effect is idempotent by its state; with a key, a repeat returns the first reply',
    };
    if (contract.idempotency === 'required') required.push(Headers.IdempotencyKey);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/** `{ok: true, data}` or `{ok: false, error}`: the reply envelope of every subject (ADR 0002). */
function replyPayload(view: string): Schema {
  return {
    oneOf: [
      { type: 'object', required: ['ok', 'data'], properties: { ok: { const: true }, data: ref(view) }, additionalProperties: false },
      { type: 'object', required: ['ok', 'error'], properties: { ok: { const: false }, error: ref(ERROR_SCHEMA) }, additionalProperties: false },
    ],
  };
}

/** A channel and message key: subjects have dots, which AsyncAPI keys allow; kept as written. */
const key = (subject: string) => subject;

/**
 * The AsyncAPI 3 document of the NATS interface, from libs/contracts (REQUEST_CONTRACTS: each
 * subject's request DTO, reply view and headers): served beside /docs at /docs/asyncapi.json and
 * kept as docs/asyncapi.json (`npm run contracts`).
 */
export function asyncApiDocument(app: INestApplication): Schema {
  const contracts = Object.entries(REQUEST_CONTRACTS).sort(([a], [b]) => a.localeCompare(b));
  // the views' schemas as the OpenAPI document writes them (the same classes and decorators)
  const views = [...new Set(contracts.map(([, c]) => c.reply))] as Array<new () => object>;
  const openApi = SwaggerModule.createDocument(app, new DocumentBuilder().build(), { extraModels: views });
  const schemas: Schema = {};
  for (const [name, schema] of Object.entries(openApi.components?.schemas ?? {})) schemas[name] = schema;
  for (const [, c] of contracts) Object.assign(schemas, dtoComponents(c.request));
  schemas[ERROR_SCHEMA] = ERROR_BODY;

  const channels: Schema = {};
  const operations: Schema = {};
  const messages: Schema = {};
  for (const [subject, c] of contracts) {
    const requestName = `${key(subject)}.request`;
    const replyName = `${key(subject)}.reply`;
    messages[requestName] = {
      name: c.request.name,
      title: `${subject} request`,
      summary: c.summary,
      contentType: 'application/json',
      headers: requestHeaders(c),
      payload: ref(c.request.name),
    };
    messages[replyName] = { name: `${c.reply.name}Reply`, title: `${subject} reply`, contentType: 'application/json', payload: replyPayload(c.reply.name) };
    channels[key(subject)] = {
      address: subject,
      title: subject,
      description: c.summary,
      messages: { request: { $ref: `#/components/messages/${requestName}` } },
    };
    channels[`${key(subject)}.inbox`] = {
      // NATS delivers the reply to the request's own reply subject (an inbox), unknown in advance
      address: null,
      description: `replies to ${subject}`,
      messages: { reply: { $ref: `#/components/messages/${replyName}` } },
    };
    operations[key(subject)] = {
      action: 'receive',
      channel: { $ref: `#/channels/${key(subject)}` },
      summary: c.summary,
      messages: [{ $ref: `#/channels/${key(subject)}/messages/request` }],
      reply: { channel: { $ref: `#/channels/${key(subject)}.inbox` }, messages: [{ $ref: `#/channels/${key(subject)}.inbox/messages/reply` }] },
      ...(c.auth === 'optional' ? {} : { security: [{ $ref: '#/components/securitySchemes/bearer' }] }),
      tags: [{ name: subject.split('.')[0] }],
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Yangtze River Delta innovation voucher clearing — NATS',
      version: '1.0.0',
      description: DESCRIPTION,
      license: { name: 'Proprietary (UNLICENSED): no licence is granted' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: LOCAL_NATS, protocol: 'nats', description: 'local development (npm run infra:up); each service and provider system connects as its own NATS user' },
    },
    channels,
    operations,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)).map(([name, schema]) => [name, toJsonSchema(schema)])),
      messages,
      securitySchemes: {
        bearer: { type: 'httpApiKey', in: 'header', name: Headers.Authorization, description: "`Bearer <token>` of one principal, in the message's NATS headers" },
      },
    },
  };
}
