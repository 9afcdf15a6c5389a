import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { dtoComponents, EVENT_CATALOG, EVENT_CONSUMERS, EVENT_STREAM, eventPayloadSchema, Headers, REQUEST_CONTRACTS, SCHEMA_REF_PREFIX, ServiceName, subjectMatches } from '@vc/contracts';
import { SignatureHeaders } from '@vc/messaging';
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
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    // A nullable reference first: its `type: object` beside allOf would still hold null to the object's schema.
    if (out.allOf || out.$ref) {
      const { description, type: _t, ...inner } = out;
      return { ...(description ? { description } : {}), anyOf: [{ type: 'null' }, inner] };
    }
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.oneOf) out.oneOf = [...out.oneOf, { type: 'null' }];
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

/**
 * The envelope every event travels in on the stream, its `payload` the type's class. `id` is the
 * JetStream message id (a republished event is deduplicated by it).
 */
function eventEnvelope(type: string, payload: string): Schema {
  return {
    type: 'object',
    required: ['id', 'type', 'aggregateType', 'aggregateId', 'occurredAt', 'payload'],
    properties: {
      id: { type: 'string', format: 'uuid', description: 'the event id, also its Nats-Msg-Id' },
      type: { const: type, description: 'the event type: the subject it is published on' },
      aggregateType: { type: 'string', examples: [type.split('.')[2]] },
      aggregateId: { type: 'string', description: 'the id of the object the event is about' },
      occurredAt: { type: 'string', format: 'date-time' },
      correlationId: { type: 'string', description: 'the request that caused it' },
      payload: ref(payload),
    },
  };
}

/** The headers of an event: its id for deduplication and the owner's signature (Ed25519). */
const EVENT_HEADERS: Schema = {
  type: 'object',
  required: ['Nats-Msg-Id', SignatureHeaders.signer, SignatureHeaders.keyId, SignatureHeaders.signature],
  properties: {
    'Nats-Msg-Id': { type: 'string', format: 'uuid', description: 'the envelope id: JetStream drops a second publication' },
    [SignatureHeaders.signer]: { type: 'string', enum: ['registry', 'issuance', 'redemption', 'settlement'], description: 'the service that emitted it: the owner of its type' },
    [SignatureHeaders.keyId]: { type: 'string', description: "the id of the signer's key" },
    [SignatureHeaders.signature]: { type: 'string', contentEncoding: 'base64', description: 'Ed25519 over the subject and the exact message bytes; a consumer applies an event only when it verifies with a trusted key of the owner' },
  },
};

/** Which services' durable consumers take in an event type (EVENT_CONSUMERS). */
function consumersOf(type: string): string[] {
  return Object.entries(EVENT_CONSUMERS)
    .filter(([, specs]) => (specs as ReadonlyArray<{ subjects: readonly string[] }>).some((c) => c.subjects.some((pattern) => subjectMatches(pattern, type))))
    .map(([service]) => service)
    .sort();
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

  // the events of the stream: each type with its owner (the only service whose signature is taken)
  // and its payload class (validated by every consumer before anything is applied)
  for (const [type, definition] of Object.entries(EVENT_CATALOG).sort(([a], [b]) => a.localeCompare(b)) as Array<[string, { owner: ServiceName; payload: Function }]>) {
    const payloadName = definition.payload.name;
    schemas[payloadName] ??= eventPayloadSchema(definition.payload);
    const consumers = consumersOf(type);
    const description = `emitted by ${definition.owner} (the owner of the type)${consumers.length ? `; taken in by ${consumers.join(', ')}` : ''}`;
    messages[type] = { name: payloadName, title: type, summary: description, contentType: 'application/json', headers: EVENT_HEADERS, payload: eventEnvelope(type, payloadName) };
    channels[type] = { address: type, title: type, description: `on the JetStream stream ${EVENT_STREAM}`, messages: { event: { $ref: `#/components/messages/${type}` } } };
    operations[type] = {
      action: 'send',
      channel: { $ref: `#/channels/${type}` },
      summary: description,
      messages: [{ $ref: `#/channels/${type}/messages/event` }],
      tags: [{ name: 'events' }, { name: definition.owner }],
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
