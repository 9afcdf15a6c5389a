import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DomainError } from '@vc/errors';
import { PROGRAMME_ID_PATTERN, PROVIDER_PROVINCES, PROVINCES } from './principal';
import { ProgrammeIdDto } from './issuance.dto';
import { validateDto } from './validation';

const ROOT = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

describe('the provinces and the programme id are written once (SPEC 1)', () => {
  it('a programme id is a province of the delta and a year', () => {
    expect(PROVIDER_PROVINCES).toEqual([...PROVINCES, 'OTHER']);
    for (const p of PROVINCES) expect(PROGRAMME_ID_PATTERN.test(`${p}-2026`)).toBe(true);
    for (const id of ['OTHER-2026', 'DELTA-2026', 'js-2026', 'JS-26', 'JS-20260', ' JS-2026', 'JS-2026\n']) expect(PROGRAMME_ID_PATTERN.test(id)).toBe(false);
  });

  it('IsProgrammeId refuses anything else with VALIDATION naming the field', () => {
    expect(validateDto(ProgrammeIdDto, { programmeId: 'ZJ-2027' }).programmeId).toBe('ZJ-2027');
    for (const programmeId of ['OTHER-2026', 2026, null]) {
      const e = (() => {
        try {
          validateDto(ProgrammeIdDto, { programmeId });
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(DomainError);
      expect(e).toMatchObject({ code: 'VALIDATION_FAILED', field: 'programmeId' });
    }
  });

  it('no source outside libs/contracts/src/principal.ts restates the list (frozen migrations aside)', () => {
    // a list of at least three province codes in any quoting, or the programme-id pattern's alternation
    const restated = /(['"`])(SH|JS|ZJ|AH)\1\s*,\s*(['"`])(SH|JS|ZJ|AH)\3\s*,\s*(['"`])(SH|JS|ZJ|AH)\5|\((SH|JS|ZJ|AH)\|(SH|JS|ZJ|AH)\|/;
    const files = ['apps', 'libs', 'scripts'].flatMap((d) => sources(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(100);
    const offenders = files
      .map((f) => relative(ROOT, f))
      .filter((f) => f !== 'libs/contracts/src/principal.ts' && !/\/migrations\//.test(f))
      .filter((f) => restated.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
