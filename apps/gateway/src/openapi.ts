import { INestApplication } from '@nestjs/common';
import { PROGRAMME_ID_PATTERN } from '@vc/contracts';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorCode } from '@vc/errors';
import { ERROR_SCHEMA, REQUEST_SCHEMAS } from './http/api-operation';

/** The gateway's address in local development (`npm run up`, `npm run demo`). */
export const LOCAL_SERVER = 'http://127.0.0.1:3000';

const DESCRIPTION = `The HTTP interface of the clearing system for the Yangtze River Delta innovation vouchers
(长三角科技创新券通用通兑清算): provider registry, programmes and quota, voucher orders and redemption
claims, quarterly settlement with its public review window, matching and the cross-province statement.

- **Principals.** Every request is one authenticated principal: \`Authorization: Bearer <token>\`
  (claims \`sub\`, \`role\`, \`org\`, \`province\`); it sees only its own organisation's data. The
  publicity routes and the probes may be called without a token.
- **Money** is an integer number of fen (1 yuan = 100 fen) everywhere, in requests and replies; no
  amount is ever a fraction. A request may give an amount as a decimal string of the integer too.
- **Idempotency.** Every mutating request carries an \`Idempotency-Key\`: the same key with the same
  body returns the first reply (the effect happens once); with another body it is refused with
  \`IDEMPOTENCY_CONFLICT\`.
- **Errors** are \`{ "code", "message", "field" }\` with a stable \`code\` (ErrorCode) and the HTTP
  status of the one error table; \`field\` names the offending input, \`details\` may add facts
  (e.g. the earliest repair date). Each operation lists the codes it may answer with, per status.
- **Nulls.** A field documented as nullable is present with \`null\` when it has no value (e.g. the
  programme version of an order both parties have not yet confirmed); no field is left out.

The same operations are offered over NATS request-reply (docs/asyncapi.json) and, for provider
systems, over gRPC (voucher_redemption.proto).`;

const TAGS: Array<[string, string]> = [
  ['registry', 'Provider units, their services, complaints, credit records and programme exclusions (R-REG-*)'],
  ['issuance', 'Programmes and their versions, linked regions, enterprises and quota claims (R-PROG-*, R-ENT-*, R-QUOTA-*)'],
  ['redemption', 'Voucher orders, payments and redemption claims; live quota and budget balances (R-ORDER-*, R-OFFSET-*, R-CLAIM-*)'],
  ['settlement', 'Quarterly runs, publicity and objections, payment instructions, matching, statements and rewards (SPEC 5.6–5.8)'],
  ['calendar', 'The working-day calendar (SPEC 3): each year\'s State Council schedule, loaded by the delta desk'],
  ['auth', 'Development sign-in'],
  ['operations', 'Probes and metrics'],
];

/** Path parameters by name: what the service validates them against. */
const PATH_PARAMETERS: Record<string, Record<string, unknown>> = {
  programmeId: { type: 'string', pattern: PROGRAMME_ID_PATTERN.source, example: 'JS-2026' },
  year: { type: 'integer', minimum: 2020, maximum: 2100, example: 2026 },
  quarter: { type: 'string', pattern: '^[1-9]\\d{3}Q[1-4]$', example: '2026Q3' },
  // a programme's id (JS-2026), a provider unit's or an enterprise's (uuid)
  ownerId: { type: 'string', minLength: 1, maxLength: 64, example: 'JS-2026' },
};

export const ERROR_BODY = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: Object.values(ErrorCode), description: 'stable machine-readable code (R-ERR-1)' },
    message: { type: 'string', description: 'for people; may change' },
    field: { type: 'string', description: 'the offending input, e.g. `amountFen`, `items.2.obligationId`, `Idempotency-Key`' },
    details: { type: 'object', additionalProperties: true, description: 'facts about the refusal, e.g. `{ "earliestRepairDate": "2027-07-01" }`' },
  },
  additionalProperties: false,
};

type Operation = { operationId?: string; parameters?: Array<{ in: string; name: string; schema?: Record<string, unknown> }> };

/**
 * The OpenAPI document of the gateway: served at /docs (and /docs-json) and kept as
 * docs/openapi.json (`npm run contracts`), which a test compares with this.
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Yangtze River Delta innovation voucher clearing')
    .setDescription(DESCRIPTION)
    .setVersion('1.0.0')
    .addServer(LOCAL_SERVER, 'local development (npm run up, npm run demo)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "a principal's token from the province's identity provider (dev-login in development)" }, 'bearer');
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), { operationIdFactory: (_controller, method) => method });
  // the package is UNLICENSED: no licence is granted; an empty contact says nothing
  document.info = { ...document.info, license: { name: 'Proprietary (UNLICENSED): no licence is granted' } };
  delete document.info.contact;

  const schemas = (document.components!.schemas ??= {});
  for (const [name, schema] of Object.entries({ ...REQUEST_SCHEMAS, [ERROR_SCHEMA]: ERROR_BODY })) {
    if (schemas[name]) throw new Error(`schema ${name} is both a view and a request`);
    schemas[name] = schema as never;
  }
  const ids = new Set<string>();
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Operation[]) {
      if (!operation?.operationId) continue;
      if (ids.has(operation.operationId)) throw new Error(`operationId ${operation.operationId} is used twice`);
      ids.add(operation.operationId);
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'path') continue;
        const known = PATH_PARAMETERS[parameter.name] ?? (parameter.name.endsWith('Id') ? { type: 'string', format: 'uuid' } : undefined);
        if (known && !parameter.schema?.enum) parameter.schema = known;
      }
    }
  }
  document.components!.schemas = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  return document;
}
