import { DomainError, ERROR_TABLE, ErrorCode, toDomainError } from './index';

describe('error table', () => {
  it('R-ERR-1: maps every code to a 4xx/5xx HTTP status and a non-OK gRPC status', () => {
    for (const code of Object.values(ErrorCode)) {
      const row = ERROR_TABLE[code];
      expect(row.http).toBeGreaterThanOrEqual(400);
      expect(row.http).toBeLessThan(600);
      expect(row.grpc).toBeGreaterThan(0);
    }
  });

  it('R-ERR-1: carries code, message and field in one wire body', () => {
    const err = new DomainError(ErrorCode.INVALID_CREDIT_CODE, { field: 'creditCode', message: 'check character does not verify' });
    expect(err.toBody()).toEqual({ code: 'INVALID_CREDIT_CODE', message: 'check character does not verify', field: 'creditCode' });
    expect(DomainError.fromBody(err.toBody()).toBody()).toEqual(err.toBody());
  });

  it('R-ERR-1: never leaks an unexpected error message', () => {
    const leaked = toDomainError(new Error('relation "x" does not exist at character 15'));
    expect(leaked.code).toBe(ErrorCode.INTERNAL);
    expect(leaked.message).not.toMatch(/relation/);
  });
});
