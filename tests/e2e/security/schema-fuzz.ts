import fc from 'fast-check';
import * as contracts from '@vc/contracts';
import { newCreditCode } from '../../fixtures/credit-codes';

/**
 * Hostile inputs generated from the published schemas (a DTO's rules as JSON Schema, the same the
 * OpenAPI and AsyncAPI documents carry): for a request, a valid body (or query) first, then one
 * thing broken in it, so that the refusal must name exactly that field. Every operation and every
 * subject gets them without a hand-written body each; a new one is fuzzed when it is declared.
 */
export type Schema = Record<string, any>;

export interface Broken {
  /** what was done, for the failure message */
  how: string;
  value: unknown;
  /** the field the refusal must name; null where the whole body is refused (no field) */
  field: string | null;
}

const CREDIT_CODES = Array.from({ length: 8 }, () => newCreditCode());
const TEXT = fc.constantFrom(...'abcxyz019 测试服务机构异议'.split(''));
const PROTOTYPE_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__']);

export class SchemaFuzz {
  constructor(private readonly components: Record<string, Schema>) {}

  resolve(s: Schema): Schema {
    if (s?.$ref) return this.resolve(this.components[String(s.$ref).split('/').pop()!]);
    if (s?.allOf?.length === 1) return this.resolve(s.allOf[0]);
    return s ?? {};
  }

  /** A value the rule accepts. */
  valid(raw: Schema, name = ''): fc.Arbitrary<unknown> {
    const s = this.resolve(raw);
    if (s.enum) return fc.constantFrom(...s.enum);
    if (s.type === 'string' || (!s.type && (s.pattern || s.format))) {
      if (/creditcode/i.test(name) || /credit code/.test(s.description ?? '')) return fc.constantFrom(...CREDIT_CODES);
      if (/phone number .* or an e-mail address/.test(s.description ?? '')) return fc.constantFrom('13800000000', 'desk@example.com', '025-83790000');
      if (s.format === 'uuid') return fc.uuid({ version: 4 });
      if (s.format === 'date' || /YYYY-MM-DD|\\d\{4\}-\\d\{2\}-\\d\{2\}/.test(s.pattern ?? '')) return fc.constantFrom('2026-07-01', '2026-10-16', '2027-01-05');
      if (s.format === 'date-time' || (s.description === 'ISO 8601' && !s.pattern)) return fc.constant('2026-10-09T10:00:00+08:00');
      if (s.pattern) {
        const min = s.minLength ?? 0;
        const max = s.maxLength ?? Infinity;
        return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length >= min && v.length <= max && !v.includes('\u0000'));
      }
      return fc.string({ unit: TEXT, minLength: Math.max(s.minLength ?? 0, 1), maxLength: Math.max(Math.min(s.maxLength ?? 20, 20), Math.max(s.minLength ?? 0, 1)) }).filter((v) => v.trim().length > 0);
    }
    if (s.type === 'integer' || s.type === 'number') return fc.integer({ min: s.minimum ?? 0, max: Math.min(s.maximum ?? 1000, (s.minimum ?? 0) + 1_000_000) });
    if (s.type === 'boolean') return fc.boolean();
    if (s.type === 'array') return fc.array(this.valid(s.items ?? {}, name), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 2, 2)) });
    if (s.type === 'object' || s.properties) return this.object(s);
    return fc.string({ unit: TEXT, minLength: 1, maxLength: 10 });
  }

  /** An object with its required properties only. */
  object(raw: Schema, omit: readonly string[] = []): fc.Arbitrary<Record<string, unknown>> {
    const s = this.resolve(raw);
    const required = (s.required ?? []).filter((k: string) => !omit.includes(k));
    return fc.record(Object.fromEntries(required.map((k: string) => [k, this.valid(s.properties[k], k)])));
  }

  /**
   * Valid bases: generated from the schema and kept where the DTO itself accepts them (a rule
   * across fields is not in the schema). A DTO none of whose generated bodies it accepts is named,
   * so that the fuzz says what it cannot generate instead of looping.
   */
  private bases(s: Schema, omit: readonly string[], accept: (base: unknown) => boolean): fc.Arbitrary<Record<string, unknown>> {
    const kept = fc.sample(this.object(s, omit), { numRuns: 200, seed: 42 }).filter(accept).slice(0, 12);
    if (kept.length === 0) throw new Error(`no valid body generated for ${JSON.stringify(s).slice(0, 200)}`);
    return fc.constantFrom(...kept);
  }

  /** One valid body (for a request whose path or query is broken instead). */
  validBody(raw: Schema, accept: (base: unknown) => boolean = () => true): Record<string, unknown> {
    return fc.sample(this.bases(this.resolve(raw), [], accept), { numRuns: 1, seed: 3 })[0];
  }

  /** A JSON value of another kind than the rule's type (never null, which an optional field takes). */
  private otherType(s: Schema): fc.Arbitrary<unknown> {
    const kinds: Array<fc.Arbitrary<unknown>> = [];
    const type = s.enum ? 'string' : s.type ?? (s.properties ? 'object' : 'string');
    if (type !== 'string') kinds.push(fc.string({ unit: TEXT, minLength: 1, maxLength: 12 }).filter((v) => !/^\s*-?\d+\s*$/.test(v)));
    if (type !== 'integer' && type !== 'number') kinds.push(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    if (type !== 'boolean') kinds.push(fc.boolean());
    if (type !== 'array') kinds.push(fc.array(fc.integer(), { maxLength: 3 }));
    if (type !== 'object') kinds.push(fc.dictionary(fc.string({ unit: TEXT, minLength: 1, maxLength: 5 }), fc.integer(), { maxKeys: 2 }));
    return fc.oneof(...kinds);
  }

  /** Values that break the rule while keeping its type where possible. */
  private outOfRule(raw: Schema, name: string): Array<fc.Arbitrary<unknown>> {
    const s = this.resolve(raw);
    const out: Array<fc.Arbitrary<unknown>> = [];
    if (s.enum) out.push(fc.string({ unit: TEXT, minLength: 1, maxLength: 12 }).filter((v) => !s.enum.includes(v)));
    if (s.type === 'string' && !s.enum) {
      if (s.format === 'uuid') out.push(fc.string({ unit: TEXT, minLength: 1, maxLength: 40 }));
      if (s.pattern) out.push(fc.string({ unit: fc.constantFrom(...'!@#$%^&*()_+=~`?><,;'.split('')), minLength: 1, maxLength: 20 }));
      if ((s.minLength ?? 0) >= 1) out.push(fc.constant(''));
      if (s.maxLength) out.push(fc.integer({ min: s.maxLength + 1, max: s.maxLength + 500 }).map((n) => 'x'.repeat(n)));
      out.push(fc.nat({ max: 40 }).map((i) => `a${'b'.repeat(i % 5)}\u0000z`));
    }
    if (s.type === 'integer' || s.type === 'number') {
      out.push(fc.constantFrom(1e20, -1e20, 2 ** 63, 0.5));
      if (s.minimum !== undefined) out.push(fc.integer({ min: s.minimum - 1000, max: s.minimum - 1 }));
      if (s.maximum !== undefined) out.push(fc.integer({ min: s.maximum + 1, max: s.maximum + 1000 }));
      if (/Fen$/.test(name)) out.push(fc.constantFrom('1.50', '1e3', '-5', '0x10'));
    }
    if (s.type === 'array' && s.maxItems !== undefined && s.maxItems <= 1000) out.push(fc.constant(Array.from({ length: s.maxItems + 1 }, () => 1)));
    return out;
  }

  /**
   * A valid body with one thing broken, and the field its refusal must name: a required field
   * dropped, a field of another type, out of its rule, an unknown field, a NUL character, the
   * body not an object, or nested too deep.
   */
  broken(raw: Schema, omit: readonly string[] = [], accept: (base: unknown) => boolean = () => true): fc.Arbitrary<Broken> {
    const s = this.resolve(raw);
    const keys = Object.keys(s.properties ?? {}).filter((k) => !omit.includes(k));
    const required = (s.required ?? []).filter((k: string) => !omit.includes(k));
    const base = this.bases(s, omit, accept);
    const variants: Array<fc.Arbitrary<Broken>> = [];
    if (required.length) {
      variants.push(fc.tuple(base, fc.constantFrom(...required)).map(([b, k]) => {
        const copy = { ...b };
        delete copy[k as string];
        return { how: `without ${k}`, value: copy, field: k as string };
      }));
    }
    for (const k of keys) {
      const rule = s.properties[k];
      variants.push(fc.tuple(base, this.otherType(this.resolve(rule))).map(([b, v]) => ({ how: `${k} of another type`, value: { ...b, [k]: v }, field: k })));
      for (const bad of this.outOfRule(rule, k)) variants.push(fc.tuple(base, bad).map(([b, v]) => ({ how: `${k} out of its rule`, value: { ...b, [k]: v }, field: k })));
    }
    variants.push(
      fc
        .tuple(base, fc.string({ unit: fc.constantFrom(...'abcdefghxyzQ_'.split('')), minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }))
        .filter(([, k]) => !keys.includes(k) && !omit.includes(k) && !PROTOTYPE_NAMES.has(k))
        .map(([b, k, v]) => ({ how: `unknown field ${k}`, value: { ...b, [k]: v }, field: k })),
    );
    variants.push(fc.oneof(fc.constant(null), fc.integer(), fc.string({ unit: TEXT, maxLength: 8 }), fc.array(fc.integer(), { maxLength: 3 })).map((v) => ({ how: 'not an object', value: v, field: null })));
    variants.push(fc.integer({ min: 33, max: 30_000 }).map((depth) => ({ how: `nested ${depth} deep`, value: new Nested(depth), field: null })));
    return fc.oneof(...variants);
  }

  /**
   * A valid query with one parameter broken, as text (what a query string carries), and the field
   * its refusal must name.
   */
  brokenQuery(params: Array<{ name: string; required?: boolean; schema: Schema }>): fc.Arbitrary<Broken> | null {
    const base = fc.record(Object.fromEntries(params.filter((p) => p.required).map((p) => [p.name, this.valid(p.schema, p.name).map(String)])));
    const variants: Array<fc.Arbitrary<Broken>> = [];
    for (const p of params) {
      const s = this.resolve(p.schema);
      const bad: Array<fc.Arbitrary<string>> = [];
      if (s.type === 'integer') bad.push(fc.constantFrom('abc', '1e20', '99999999999999999999', '1.5', '-0x1'));
      if (s.type === 'integer' && s.minimum !== undefined) bad.push(fc.constant(String(s.minimum - 1)));
      if (s.type === 'integer' && s.maximum !== undefined) bad.push(fc.constant(String(s.maximum + 1)));
      if (s.type === 'boolean') bad.push(fc.constantFrom('maybe', '2', 'yes'));
      if (s.enum) bad.push(fc.string({ unit: TEXT, minLength: 1, maxLength: 8 }).filter((v) => !s.enum.includes(v)));
      if (s.type === 'string' && (s.format === 'uuid' || s.pattern)) bad.push(fc.string({ unit: fc.constantFrom(...'!@$^*()~xyz'.split('')), minLength: 1, maxLength: 30 }));
      if (s.type === 'string' && s.maxLength) bad.push(fc.constant('x'.repeat(s.maxLength + 1)));
      if (p.name === 'after') bad.push(fc.integer({ min: 19, max: 400 }).map((n) => '9'.repeat(n)));
      for (const b of bad) variants.push(fc.tuple(base, b).map(([q, v]) => ({ how: `${p.name}=${v.slice(0, 30)}`, value: { ...q, [p.name]: v }, field: p.name })));
    }
    return variants.length ? fc.oneof(...variants) : null;
  }
}

/** A marker for a body nested `depth` deep, written as text (no object that deep is ever built). */
export class Nested {
  constructor(readonly depth: number) {}
  text(): string {
    return `${'{"a":'.repeat(this.depth)}1${'}'.repeat(this.depth)}`;
  }
}

/** The JSON text of a generated body. */
export function bodyText(value: unknown): string {
  return value instanceof Nested ? value.text() : JSON.stringify(value);
}

/** A base the DTO accepts (cross-field rules the schema does not carry are honoured by retrying). */
export function acceptedBy(dto: Function | undefined, extra: Record<string, unknown> = {}): (value: unknown) => boolean {
  return (value) => {
    if (!dto || !value || typeof value !== 'object' || Array.isArray(value)) return true;
    // a DTO without rules (the health check's) validates nothing
    if (Object.keys(value).length === 0 && Object.keys(extra).length === 0) return true;
    try {
      contracts.validateDto(dto as new () => object, { ...(value as object), ...extra });
      return true;
    } catch {
      return false;
    }
  };
}

/** Distinct samples (by their text), so that no input is counted twice. */
export function distinct<T>(arb: fc.Arbitrary<T>, count: number, seed: number, text: (v: T) => string): T[] {
  const seen = new Map<string, T>();
  for (let round = 0; round < 5 && seen.size < count; round++) {
    for (const v of fc.sample(arb, { numRuns: count * 2, seed: seed + round })) {
      const t = text(v);
      if (!seen.has(t)) seen.set(t, v);
      if (seen.size >= count) break;
    }
  }
  return [...seen.values()];
}
