import { isUuid } from './validation';

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
