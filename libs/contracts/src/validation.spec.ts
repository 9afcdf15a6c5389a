import { isUuid, toJson } from './validation';

describe('isUuid', () => {
  it('accepts a uuid of any version, in either case', () => {
    expect(isUuid('3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6f')).toBe(true);
    expect(isUuid('3F2B8C1E-9D4A-1E7B-0C2F-1A2B3C4D5E6F')).toBe(true);
  });

  it('refuses credit codes, partial ids and anything that is not a string', () => {
    for (const value of ['91310000MA1FL0XX0X', '3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6', ' 3f2b8c1e-9d4a-4e7b-8c2f-1a2b3c4d5e6f', '', undefined, null, 42, {}]) {
      expect(isUuid(value)).toBe(false);
    }
  });
});

describe('toJson (R-MONEY-1: money is integer fen on the wire)', () => {
  it('writes bigint fen as a number while it is a safe integer, and as a decimal string beyond', () => {
    expect(toJson({ voucherFen: 100_000n, totalFen: 2n ** 60n, rows: [{ leftFen: -5n }] })).toBe(
      '{"voucherFen":100000,"totalFen":"1152921504606846976","rows":[{"leftFen":-5}]}',
    );
    expect(toJson({ edge: BigInt(Number.MAX_SAFE_INTEGER), over: BigInt(Number.MAX_SAFE_INTEGER) + 1n })).toBe(
      `{"edge":${Number.MAX_SAFE_INTEGER},"over":"${BigInt(Number.MAX_SAFE_INTEGER) + 1n}"}`,
    );
  });

  it('writes a value without bigints exactly as JSON.stringify does', () => {
    const reply = { id: 'o-1', voucherFen: 100000, paidAt: new Date(0), note: '检测', nested: [1, null, { a: undefined }] };
    expect(toJson(reply)).toBe(JSON.stringify(reply));
  });

  it('still refuses what JSON cannot hold', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => toJson(loop)).toThrow(TypeError);
  });
});
