import { DomainError } from '@vc/errors';
import { claimYear, quotaValidUntil, remainingCap } from './quota-rules';

describe('quota rules', () => {
  it('R-QUOTA-2: the claim year is the Shanghai year: 31 Dec 23:59 Shanghai is still that year, 16:00 UTC is the next', () => {
    expect(claimYear(new Date('2026-12-31T15:59:59.999Z'))).toBe(2026);
    expect(claimYear(new Date('2026-12-31T16:00:00.000Z'))).toBe(2027);
    expect(claimYear(new Date('2026-06-01T00:00:00Z'), 2026)).toBe(2026);
  });

  it('R-QUOTA-2: another year than the current one is refused naming the field', () => {
    expect(() => claimYear(new Date('2027-01-01T00:00:00+08:00'), 2026)).toThrow(DomainError);
    const refusal = (() => {
      try {
        claimYear(new Date('2026-06-01T00:00:00Z'), 2027);
        return null;
      } catch (e) {
        return (e as DomainError).toBody();
      }
    })();
    expect(refusal).toMatchObject({ code: 'VALIDATION_FAILED', field: 'year' });
  });

  it('R-QUOTA-2: quota is valid until 00:00 of 1 January, Asia/Shanghai', () => {
    expect(quotaValidUntil(2026)).toBe('2026-12-31T16:00:00.000Z');
  });

  it('R-QUOTA-1: the remaining cap is cap − claimed, and zero when a lower cap came later', () => {
    expect(remainingCap(10_000_000n, 6_000_000n)).toBe(4_000_000n);
    expect(remainingCap(5_000_000n, 6_000_000n)).toBe(0n);
  });
});
