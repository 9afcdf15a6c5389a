import { applyDecorators, HttpCode } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import type { SchemaObject as SwaggerSchema } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { getMetadataStorage } from 'class-validator';
import { dtoComponents, dtoSchema, JsonSchema, SCHEMA_REF_PREFIX } from '@vc/contracts';
import { ERROR_TABLE, ErrorCode } from '@vc/errors';

/**
 * One decorator per HTTP route that states its whole contract for docs/openapi.json: summary and
 * operationId, who may call it (bearer token, or anyone), the request body and query parameters
 * from the service's own DTO (as validated), the reply, the idempotency header of a mutation, and
 * every refusal `{code, message, field}` it can give with the codes of each status. The status
 * of the reply is set here too (HttpCode), so that what is documented is what is answered.
 */

/** Request schemas collected from the routes, published as `components.schemas` (openapi.ts). */
export const REQUEST_SCHEMAS: Record<string, JsonSchema> = {};

export const ERROR_SCHEMA = 'ErrorBody';

type Input = Function | { dto: Function; omit?: readonly string[]; name?: string };

export interface OperationSpec {
  /** operationId (unique; the generated clients' method name) */
  id: string;
  summary: string;
  description?: string;
  /** 'bearer' (default): a principal's token; 'optional': anyone, a token if given is verified */
  auth?: 'bearer' | 'optional';
  body?: Input;
  /** an example request body */
  example?: Record<string, unknown>;
  query?: Input;
  /** the reply: a view class, or 'file' for a download */
  reply: Function | 'file';
  /** content types of a download */
  files?: string[];
  status?: 200 | 201;
  /** mutations name an Idempotency-Key ('required'); 'optional' where the effect is idempotent by its state */
  idempotency?: 'required' | 'optional';
  /** refusals specific to the operation (the common ones are added from its kind) */
  refusals?: ErrorCode[];
  replyDescription?: string;
}

const input = (i: Input) => (typeof i === 'function' ? { dto: i, omit: [] as readonly string[], name: undefined } : { omit: [] as readonly string[], ...i });

/** Whether a DTO (or one nested in it) uses a custom rule with its own error code. */
function usesRule(dto: Function, rule: string, seen = new Set<Function>()): boolean {
  if (seen.has(dto)) return false;
  seen.add(dto);
  const storage = getMetadataStorage();
  for (const meta of storage.getTargetValidationMetadatas(dto, '', true, false)) {
    const constraint = meta.constraintCls ? storage.getTargetValidatorConstraints(meta.constraintCls)[0] : undefined;
    if (constraint?.name === rule) return true;
  }
  const { refs } = dtoSchema(dto);
  return refs.some((ref) => usesRule(ref, rule, seen));
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'the request is malformed or a field is invalid (`field` names it)',
  401: 'no valid bearer token',
  403: 'the principal may not do this',
  404: 'no such object visible to the principal',
  409: 'conflicts with the current state or an earlier request',
  413: 'the body is larger than the gateway accepts',
  422: 'refused by a business rule (the code names it)',
  429: 'too many requests from this principal; retry later',
  500: 'internal error (nothing internal is disclosed); retry later',
  503: 'a service is unavailable or did not answer in time; retry later',
};

/** The refusals of an operation grouped by HTTP status, each status with its codes as an enum. */
function refusalResponses(codes: Set<ErrorCode>): MethodDecorator[] {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_TABLE[code].http, [...(byStatus.get(ERROR_TABLE[code].http) ?? []), code]);
  return [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, list]) => {
      const sorted = [...list].sort();
      return ApiResponse({
        status,
        description: `${DESCRIPTIONS[status] ?? 'refused'}: ${sorted.join(', ')}`,
        content: {
          'application/json': {
            schema: { allOf: [{ $ref: SCHEMA_REF_PREFIX + ERROR_SCHEMA }, { type: 'object', properties: { code: { type: 'string', enum: sorted } } }] },
            example: { code: sorted[0], message: exampleMessage(sorted[0]) },
          },
        },
      });
    });
}

function exampleMessage(code: ErrorCode): string {
  return code.toLowerCase().replace(/_/g, ' ');
}

export function ApiOp(spec: OperationSpec): MethodDecorator {
  const auth = spec.auth ?? 'bearer';
  const status = spec.status ?? 200;
  const decorators: Array<MethodDecorator | ClassDecorator> = [
    HttpCode(status),
    ApiOperation({ operationId: spec.id, summary: spec.summary, ...(spec.description ? { description: spec.description } : {}) }),
  ];
  // security: a bearer token, or anyone (an empty requirement) with a token verified when given
  if (auth === 'optional') decorators.push(ApiSecurity({}));
  decorators.push(ApiSecurity('bearer'));

  const codes = new Set<ErrorCode>([ErrorCode.UNAUTHENTICATED, ErrorCode.RATE_LIMITED, ErrorCode.INTERNAL, ErrorCode.UNAVAILABLE, ...(spec.refusals ?? [])]);
  if (auth === 'bearer') codes.add(ErrorCode.FORBIDDEN);
  const dtos: Function[] = [];
  if (spec.body) {
    const { dto, omit, name } = input(spec.body);
    const schemaName = name ?? (omit.length ? dto.name.replace(/Dto$/, 'Body') : dto.name);
    Object.assign(REQUEST_SCHEMAS, dtoComponents(dto, schemaName, omit));
    decorators.push(
      ApiBody({
        required: true,
        schema: { $ref: SCHEMA_REF_PREFIX + schemaName },
        ...(spec.example ? { examples: { example: { summary: 'a typical request', value: spec.example } } } : {}),
      }),
    );
    dtos.push(dto);
    codes.add(ErrorCode.VALIDATION_FAILED).add(ErrorCode.MALFORMED_REQUEST).add(ErrorCode.PAYLOAD_TOO_LARGE);
  }
  if (spec.query) {
    const { dto, omit } = input(spec.query);
    const { schema } = dtoSchema(dto, omit);
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const { description, ...rest } = property as JsonSchema;
      decorators.push(ApiQuery({ name, required: (schema.required ?? []).includes(name), schema: rest as SwaggerSchema, ...(description ? { description } : {}) }));
    }
    dtos.push(dto);
    codes.add(ErrorCode.VALIDATION_FAILED);
  }
  for (const dto of dtos) {
    if (usesRule(dto, 'isFen')) codes.add(ErrorCode.INVALID_AMOUNT);
    if (usesRule(dto, 'isCreditCode')) codes.add(ErrorCode.INVALID_CREDIT_CODE);
  }
  if (spec.idempotency) {
    decorators.push(
      ApiHeader({
        name: 'Idempotency-Key',
        required: spec.idempotency === 'required',
        description:
          spec.idempotency === 'required'
            ? 'An opaque key of this request (at most 200 characters): the same key with the same body returns the first reply; with another body IDEMPOTENCY_CONFLICT.'
            : 'Optional: the effect is idempotent by its state (a repeat finds it done). With a key, the same key and body return the first reply; another body IDEMPOTENCY_CONFLICT.',
        schema: { type: 'string', minLength: 1, maxLength: 200, example: '5b0c7c1e-4f0e-4a59-9a0b-3c3f0f7e2d11' },
      }),
    );
    codes.add(ErrorCode.IDEMPOTENCY_CONFLICT).add(ErrorCode.VALIDATION_FAILED);
    if (spec.idempotency === 'required') codes.add(ErrorCode.IDEMPOTENCY_KEY_REQUIRED);
  }
  if (spec.reply === 'file') {
    decorators.push(ApiProduces(...(spec.files ?? [])));
    decorators.push(
      ApiResponse({
        status,
        description: spec.replyDescription ?? 'the file (Content-Disposition names it)',
        content: Object.fromEntries((spec.files ?? []).map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
      }),
    );
  } else {
    decorators.push(ApiExtraModels(spec.reply as Function), ApiResponse({ status, description: spec.replyDescription ?? 'OK', type: spec.reply as Function }));
  }
  decorators.push(...refusalResponses(codes));
  return applyDecorators(...decorators) as MethodDecorator;
}
