import { isValidCreditCode, parseFen, isValidAmount } from '@vc/domain';
import { IsString, Matches, registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { Transform } from 'class-transformer';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { DomainError, ErrorCode } from '@vc/errors';
import { PROGRAMME_ID_PATTERN } from './principal';

/**
 * The largest `offset` a page may start at. Beyond it a listing is read with narrower filters or
 * as a file; the bound keeps every page parameter inside what PostgreSQL's bigint and a sane scan
 * take (an offset of 1e20 was a server error, one of 10^7 a scan of as many rows).
 */
export const MAX_PAGE_OFFSET = 1_000_000;

/** An id to page on after (keyset paging): a bigint's digits, at most 18 so that any value fits. */
export const AFTER_ID = /^\d{1,18}$/;

/** How deep a request body may nest objects and arrays; no request of the system needs more than a few levels. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether JSON text nests objects and arrays deeper than `max`, read without parsing it (so that
 * nothing recursive ever sees such a body): brackets are counted outside strings.
 */
export function jsonNestsDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \\ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) depth--;
  }
  return false;
}

/** A mainland mobile number (separators allowed), optionally with +86. */
const MOBILE = /^(?:\+?86)?(1[3-9]\d{9})$/;
/** A landline with its area code, and an extension, optionally with +86. */
const LANDLINE = /^(?:\+?86[- ]?)?(0\d{2,3})[- ]?(\d{7,8})(?:-(\d{1,6}))?$/;
/** An e-mail address as the desk can write to it (a local part, one @, a domain with a dot). */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * The contact of an objector as the desk keeps it (R-PUB-1: objections are named and reachable):
 * an e-mail address in lower case, or a phone number as its digits (a mobile without +86). Two
 * spellings of one contact are one contact. Null when it is neither.
 */
export function contactKey(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (EMAIL.test(text)) return `email:${text.toLowerCase()}`;
  const mobile = MOBILE.exec(text.replace(/[\s-]/g, ''));
  if (mobile) return `phone:${mobile[1]}`;
  const landline = LANDLINE.exec(text);
  if (landline) return `phone:${landline[1]}${landline[2]}${landline[3] ? `-${landline[3]}` : ''}`;
  return null;
}

/** R-PUB-1: a phone number or an e-mail address the publicity desk can reach the objector at. */
export function IsObjectorContact(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isObjectorContact',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be a phone number (mobile, or landline with area code) or an e-mail address`, ...options },
      validator: { validate: (v: unknown) => contactKey(v) !== null },
    });
}

/** R-ID-1: a unified social credit code whose check character verifies. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A uuid in its textual form (any version): ids of organisations, orders, claims, runs. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A programme id ('JS-2026', PROGRAMME_ID_PATTERN); with `each`, every element of an array. */
export function IsProgrammeId(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    // in the order `@IsString() @Matches(...)` applies them (decorators run bottom-up)
    Matches(PROGRAMME_ID_PATTERN, { message: `${String(propertyName)} must look like JS-2026`, ...options })(target, propertyName as string);
    IsString(options)(target, propertyName as string);
  };
}

export function IsCreditCode(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isCreditCode',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} is not a valid unified social credit code (GB 32100-2015)`, ...options },
      validator: { validate: (v: unknown) => typeof v === 'string' && isValidCreditCode(v) },
    });
}

/**
 * R-MONEY-1: an amount in integer fen, 0 < x <= 10^12, given as a JSON integer or a decimal string.
 * The property is converted to bigint by `@ToFen()`, which must come with this decorator.
 */
export function IsFen(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isFen',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `${String(propertyName)} must be a positive integer amount of fen, at most 10^12`, ...options },
      validator: {
        validate: (v: unknown, _args: ValidationArguments) => typeof v === 'bigint' && isValidAmount(v),
      },
    });
}

/** Converts a JSON integer / decimal string to bigint; anything else stays as is and fails @IsFen. */
export function ToFen(): PropertyDecorator {
  return Transform(({ obj, key }) => {
    const raw = (obj as Record<string, unknown>)[key];
    const parsed = parseFen(raw);
    return parsed === null ? raw : parsed;
  });
}


function firstError(errors: ValidationError[], prefix = ''): { field: string; constraint: string; message: string } | null {
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints && Object.keys(e.constraints).length > 0) {
      // Decorators run bottom-up, right to left, so the failures come in the reverse of reading
      // order: the last is the rule written first, the type (`@IsInt() @Min(1) @Max(500)`: 'abc'
      // is "not an integer", not "greater than 500").
      const entries = Object.entries(e.constraints);
      const [constraint, message] = entries[entries.length - 1];
      return { field, constraint, message };
    }
    if (e.children?.length) {
      const nested = firstError(e.children, field);
      if (nested) return nested;
    }
  }
  return null;
}

/**
 * What class-validator cannot see in a plain body, found before it is converted: a NUL character
 * in a string (no PostgreSQL text or jsonb value can hold one, so the request would fail in the
 * database instead of being refused by name), and a key that names a property every object
 * inherits (`valueOf`, `toString`, `__proto__`, …), which the whitelist takes for a declared one
 * and so does not refuse. Returns the first such field and why, or null.
 */
export function hiddenViolation(value: unknown, path = ''): { field: string; message: string } | null {
  if (typeof value === 'string') return value.includes('\u0000') ? { field: path, message: `${path} contains a NUL character, which no field accepts` } : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [k, v] of Object.entries(value)) {
    const field = path ? `${path}.${k}` : k;
    if (!Array.isArray(value) && (k === '__proto__' || Object.prototype.hasOwnProperty.call(Object.prototype, k))) {
      return { field, message: `${field} is not an accepted field` };
    }
    const found = hiddenViolation(v, field);
    if (found) return found;
  }
  return null;
}

const CODE_BY_CONSTRAINT: Record<string, ErrorCode> = {
  isCreditCode: ErrorCode.INVALID_CREDIT_CODE,
  isFen: ErrorCode.INVALID_AMOUNT,
};

/**
 * R-ERR-1: validates a plain body against a DTO class: unknown fields are refused, the first
 * violation is reported with a stable code and the field. Returns the typed instance.
 */
export function validateDto<T extends object>(cls: new () => T, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError(ErrorCode.MALFORMED_REQUEST, { message: 'request body must be a JSON object' });
  }
  const hidden = hiddenViolation(body);
  if (hidden) throw new DomainError(ErrorCode.VALIDATION_FAILED, hidden);
  const instance = plainToInstance(cls, body, { enableImplicitConversion: false });
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  const first = firstError(errors);
  if (first) {
    const code = CODE_BY_CONSTRAINT[first.constraint] ?? ErrorCode.VALIDATION_FAILED;
    const message = first.constraint === 'whitelistValidation' ? `${first.field} is not an accepted field` : first.message;
    throw new DomainError(code, { field: first.field, message });
  }
  return instance;
}

/** JSON with bigint fen: a safe integer stays a number, a larger one becomes a string. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  return value;
}

/**
 * JSON text of a value whose money may be bigint. A value without bigints (a reply built in SQL,
 * a relayed reply) takes the plain stringify, several times faster than one with a replacer; one
 * with a bigint makes the plain one throw and is written again with the replacer. The output is
 * the same either way.
 */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof TypeError) return JSON.stringify(value, jsonReplacer);
    throw err;
  }
}

/** Deep copy with bigints turned into JSON-safe values, for replies that frameworks serialise. */
export function toWire<T>(value: T): unknown {
  return value === undefined ? null : JSON.parse(toJson(value));
}
