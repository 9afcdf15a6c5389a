import type { MetadataStorage as TypeStorage } from 'class-transformer/types/MetadataStorage';
import { getMetadataStorage } from 'class-validator';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import type { SchemaObject } from 'openapi3-ts';
import { MAX_FEN } from '@vc/domain';

/**
 * JSON Schemas of the request DTOs, read from their class-validator rules: what the published
 * contracts say a request may hold is what `validateDto` accepts (unknown fields are refused, hence
 * `additionalProperties: false`). Nested DTOs are references into `#/components/schemas/`.
 */
export type JsonSchema = SchemaObject;

/** class-transformer's @Type() records (not exported from its entry point; the library reads the same store). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: TypeStorage };

export const SCHEMA_REF_PREFIX = '#/components/schemas/';

/** The custom rules of libs/contracts/src/validation.ts, as schema. */
const CUSTOM_RULES: Record<string, JsonSchema> = {
  isCreditCode: {
    type: 'string',
    pattern: '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$',
    description: 'unified social credit code (GB 32100-2015) whose check character verifies (R-ID-1)',
    example: '91320100MA1N2B3C40',
  },
  isObjectorContact: {
    type: 'string',
    description: 'a phone number (a mainland mobile, or a landline with its area code; +86 allowed) or an e-mail address (R-PUB-1: objections are named and reachable)',
    example: '13800000000',
  },
  isFen: {
    type: 'integer',
    format: 'int64',
    minimum: 1,
    maximum: Number(MAX_FEN),
    description: 'integer fen (1 yuan = 100 fen), 0 < x ≤ 10^12 (R-MONEY-1); a decimal string of the integer is accepted too',
    example: 1234567,
  },
  // ISO 8601: a date or an instant; a field's @Matches narrows it (a request's dates are YYYY-MM-DD)
  isIso8601: { type: 'string', description: 'ISO 8601' },
  // money in an event payload (event-validation.ts): integer fen as a JSON number or a decimal string
  isFenJson: {
    oneOf: [
      { type: 'integer', format: 'int64', minimum: 0, maximum: Number(MAX_FEN) },
      { type: 'string', pattern: '^[0-9]{1,13}$' },
    ],
    description: 'integer fen as a JSON number, or a decimal string of it (R-MONEY-1); readers convert with BigInt',
    example: 1234567,
  },
};

const OPTIONS = {
  refPointerPrefix: SCHEMA_REF_PREFIX,
  classTransformerMetadataStorage: defaultMetadataStorage,
  classValidatorMetadataStorage: getMetadataStorage(),
  additionalConverters: Object.fromEntries(Object.entries(CUSTOM_RULES).map(([name, schema]) => [name, () => schema])),
};

/** Every object schema refuses fields it does not declare, as `validateDto` does (forbidNonWhitelisted). */
function closed(schema: JsonSchema): JsonSchema {
  if (schema.type === 'object' || schema.properties) return { ...schema, type: 'object', additionalProperties: false };
  return schema;
}

/**
 * The schema of a DTO class; `omit` drops the fields a transport takes from elsewhere (an HTTP
 * path parameter). The class names of nested DTOs come back in `refs` so that the caller can
 * publish them too.
 */
export function dtoSchema(cls: Function, omit: readonly string[] = []): { schema: JsonSchema; refs: Function[] } {
  const schema = closed(targetConstructorToSchema(cls, OPTIONS) as JsonSchema);
  const properties = { ...(schema.properties ?? {}) };
  for (const name of omit) delete properties[name];
  const required = (schema.required ?? []).filter((name: string) => !omit.includes(name));
  const refs = nestedClasses(cls);
  return { schema: { ...schema, properties, ...(required.length ? { required } : { required: undefined }) }, refs };
}

/** DTO classes reached from `cls` through @ValidateNested + @Type (class-transformer metadata). */
function nestedClasses(cls: Function, seen = new Set<Function>()): Function[] {
  const out: Function[] = [];
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  for (const meta of metadatas) {
    const type = defaultMetadataStorage.findTypeMetadata(cls, meta.propertyName);
    const child = type?.typeFunction() as Function | undefined;
    if (child && !seen.has(child)) {
      seen.add(child);
      out.push(child, ...nestedClasses(child, seen));
    }
  }
  return out;
}

/** A schema with the nested DTOs it refers to, all keyed by class name, ready for `components.schemas`. */
export function dtoComponents(cls: Function, name = cls.name, omit: readonly string[] = []): Record<string, JsonSchema> {
  const { schema, refs } = dtoSchema(cls, omit);
  const out: Record<string, JsonSchema> = { [name]: clean(schema) };
  for (const ref of refs) out[ref.name] = clean(dtoSchema(ref).schema);
  return out;
}

/**
 * The schema of an event payload class (events.ts): its declared fields as validated, open to
 * fields a newer emitter adds (consumers validate with `whitelist`, not refusing unknown fields).
 */
export function eventPayloadSchema(cls: Function): JsonSchema {
  const { additionalProperties: _closed, ...schema } = targetConstructorToSchema(cls, OPTIONS) as JsonSchema;
  // @IsOptional admits null as well as absence, and emitters do send null (an order's version before confirmation)
  const required = new Set<string>(schema.required ?? []);
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, p]) => [name, required.has(name) ? p : { ...(p as object), nullable: true }]));
  return clean({ ...schema, properties, type: 'object' });
}

/** JSON without the undefined members (a document compares and prints the same every time). */
function clean(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema));
}
