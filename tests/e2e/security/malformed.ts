import fc from 'fast-check';

/**
 * Malformed variants of a valid body: a required field dropped, a field of the wrong type, an
 * unknown field, a bad credit code, fractional/negative/huge fen, junk values, a NUL character inside
 * a text field (which no PostgreSQL text or jsonb value can hold). Each variant is
 * invalid by construction, so every one must be refused with a clean client error.
 */
export function malformedBody(valid: Record<string, unknown>, moneyFields: string[] = [], codeFields: string[] = []): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const junk = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: false }),
    fc.string({ maxLength: 50 }),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.object({ maxDepth: 2 }),
    fc.string({ minLength: 5000, maxLength: 6000 }),
  );
  const wrongType = fc.tuple(fc.constantFrom(...keys), junk).filter(([k, v]) => typeof v !== typeof valid[k] || Array.isArray(v) !== Array.isArray(valid[k]));
  const variants: Array<fc.Arbitrary<unknown>> = [
    fc.constantFrom(...keys).map((k) => {
      const copy = { ...valid };
      delete copy[k];
      return copy;
    }),
    wrongType.map(([k, v]) => ({ ...valid, [k]: v })),
    fc.tuple(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !keys.includes(k)), junk).map(([k, v]) => ({
      ...valid,
      [k]: v,
    })),
    fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.array(fc.anything(), { maxLength: 3 })),
  ];
  const textKeys = keys.filter((k) => typeof valid[k] === 'string');
  if (textKeys.length) {
    variants.push(
      fc.tuple(fc.constantFrom(...textKeys), fc.nat()).map(([k, i]) => {
        const text = valid[k] as string;
        const at = i % (text.length + 1);
        return { ...valid, [k]: `${text.slice(0, at)}\u0000${text.slice(at)}` };
      }),
    );
  }
  if (moneyFields.length) {
    variants.push(
      fc
        .tuple(
          fc.constantFrom(...moneyFields),
          fc.oneof(fc.double({ min: -1e6, max: 1e6 }).filter((d) => !Number.isInteger(d)), fc.integer({ max: 0 }), fc.constant(1e13), fc.constant('1.50'), fc.constant('1e3'), fc.constant(-5)),
        )
        .map(([k, v]) => ({ ...valid, [k]: v })),
    );
  }
  if (codeFields.length) {
    variants.push(
      fc
        .tuple(fc.constantFrom(...codeFields), fc.oneof(fc.string({ minLength: 18, maxLength: 18 }), fc.string({ maxLength: 17 })))
        .filter(([k, v]) => v !== valid[k])
        .map(([k, v]) => ({ ...valid, [k]: v })),
    );
  }
  return fc.oneof(...variants);
}
