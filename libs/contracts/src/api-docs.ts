import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';

/**
 * Decorators that describe the views (replies) in the published contracts (docs/openapi.json,
 * docs/asyncapi.json). Requests are described from their class-validator rules instead
 * (`dtoSchema`), so what is documented there is what is validated.
 */

type Extra = { description?: string; nullable?: boolean; required?: boolean; example?: unknown };

const options = (base: ApiPropertyOptions, extra: Extra = {}): ApiPropertyOptions =>
  ({ ...base, ...extra, required: extra.required ?? true }) as ApiPropertyOptions;

/** R-MONEY-1: an amount of money in integer fen (1 yuan = 100 fen), a JSON integer on the wire. */
export const ApiFen = (extra: Extra = {}) =>
  ApiProperty(options({ type: 'integer', format: 'int64', description: 'integer fen (1 yuan = 100 fen)', example: 1234567 }, extra));

export const ApiUuid = (extra: Extra = {}) => ApiProperty(options({ type: 'string', format: 'uuid' }, extra));

export const ApiText = (extra: Extra = {}) => ApiProperty(options({ type: 'string' }, extra));

export const ApiInt = (extra: Extra = {}) => ApiProperty(options({ type: 'integer' }, extra));

export const ApiBool = (extra: Extra = {}) => ApiProperty(options({ type: 'boolean' }, extra));

/** An instant, ISO 8601 with its offset (UTC as written by the services). */
export const ApiInstant = (extra: Extra = {}) => ApiProperty(options({ type: 'string', format: 'date-time' }, extra));

/** A calendar date of Asia/Shanghai, YYYY-MM-DD. */
export const ApiDate = (extra: Extra = {}) => ApiProperty(options({ type: 'string', format: 'date', example: '2026-10-16' }, extra));

/** A closed set; a nullable one lists null among its values, as OpenAPI 3.0.3 asks of a nullable enum. */
export const ApiEnum = (values: readonly string[], extra: Extra = {}) =>
  ApiProperty(options({ type: 'string', enum: extra.nullable ? [...values, null] : [...values] }, extra));

/** An object of another view class, or an array of them (`[Cls]`); the class is declared before its use. */
export const ApiView = (type: Function | [Function], extra: Extra = {}) => ApiProperty(options({ type }, extra));

export const ApiUuids = (extra: Extra = {}) => ApiProperty(options({ type: 'string', format: 'uuid', isArray: true }, extra));

export const ApiTexts = (extra: Extra = {}) => ApiProperty(options({ type: 'string', isArray: true }, extra));

export const PROGRAMME_ID_EXAMPLE = 'JS-2026';
