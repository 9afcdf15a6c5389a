import { assertIdempotencyKey } from './idempotency';

describe('assertIdempotencyKey (R-ERR-1)', () => {
  const refusal = (key: string | undefined) => {
    try {
      assertIdempotencyKey(key);
      return null;
    } catch (err) {
      return err as { code: string; field: string };
    }
  };

  it('accepts an opaque token of up to 200 characters', () => {
    expect(refusal('pay-2026-0001')).toBeNull();
    expect(refusal('k'.repeat(200))).toBeNull();
  });

  it('refuses a missing key, a long one, and one with control characters, naming Idempotency-Key', () => {
    expect(refusal(undefined)).toMatchObject({ code: 'IDEMPOTENCY_KEY_REQUIRED', field: 'Idempotency-Key' });
    expect(refusal('k'.repeat(201))).toMatchObject({ code: 'VALIDATION_FAILED', field: 'Idempotency-Key' });
    for (const key of ['a\u0000b', 'line\nbreak', 'del\u007f']) expect(refusal(key)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'Idempotency-Key' });
  });
});
