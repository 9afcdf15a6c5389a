import { isEventVersion, newerVersion } from './versions';

describe('event versions (state-carrying events keep the newest)', () => {
  it('accepts no version (from before versions) or a positive safe integer, nothing else', () => {
    for (const v of [undefined, 1, 42, Number.MAX_SAFE_INTEGER]) expect(isEventVersion(v)).toBe(true);
    for (const v of [0, -1, 1.5, '2', null, Number.MAX_SAFE_INTEGER + 1, NaN]) expect(isEventVersion(v)).toBe(false);
  });

  it('lets only a newer version replace a row, or an unversioned event a row no versioned one wrote', () => {
    expect(newerVersion('x.providers')).toBe('x.providers.version < EXCLUDED.version OR (EXCLUDED.version = 0 AND x.providers.version = 0)');
  });
});
