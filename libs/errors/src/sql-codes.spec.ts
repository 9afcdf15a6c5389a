import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ErrorCode } from './error-code';

const ROOT = join(__dirname, '..', '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * The codes SQL refuses with: the first argument of a refusal helper (redemption.domain_error,
 * redemption.refusal and any other function named for an error or a refusal), in the migrations
 * and in each service's home of its functions (apps/<service>/src/sql).
 */
function sqlRefusalCodes(): Array<{ file: string; code: string }> {
  const apps = join(ROOT, 'apps');
  const files = readdirSync(apps).flatMap((app) =>
    ['migrations', 'sql'].flatMap((folder) => {
      const dir = join(apps, app, 'src', folder);
      try {
        return tsFiles(dir);
      } catch {
        return [];
      }
    }),
  );
  const found: Array<{ file: string; code: string }> = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\b\w*(?:error|refusal)\w*\(\s*'([A-Z][A-Z0-9_]*)'/gi)) found.push({ file: relative(ROOT, file), code: m[1] });
  }
  return found;
}

describe('every code PL/pgSQL refuses with is an ErrorCode (R-ERR-1)', () => {
  it('the refusals raised or answered in SQL name codes of ERROR_TABLE, so none reaches a client as INTERNAL', () => {
    const found = sqlRefusalCodes();
    // the pay functions alone refuse with a dozen codes: a scan that finds none is broken
    expect(found.length).toBeGreaterThan(10);
    const known = new Set<string>(Object.values(ErrorCode));
    expect(found.filter((f) => !known.has(f.code))).toEqual([]);
  });
});
