import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayOpenApi } from '../../../scripts/contracts/documents';

/**
 * docs/openapi.json is the published contract that integrators generate clients from; it must be
 * what the gateway serves. After changing a route, DTO or view: `npm run contracts`.
 */
describe('docs/openapi.json', () => {
  it('is the document the gateway serves (regenerate with npm run contracts)', async () => {
    const kept = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'openapi.json'), 'utf8');
    expect(JSON.parse(await gatewayOpenApi())).toEqual(JSON.parse(kept));
  });

  it('the typed client scripts/examples/http-client/openapi.d.ts is generated from it (regenerate with npm run contracts)', () => {
    const root = join(__dirname, '..', '..', '..');
    const out = join(mkdtempSync(join(tmpdir(), 'openapi-ts-')), 'openapi.d.ts');
    execFileSync(process.execPath, [join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), join(root, 'docs', 'openapi.json'), '-o', out], { stdio: 'pipe' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(root, 'scripts', 'examples', 'http-client', 'openapi.d.ts'), 'utf8'));
  });

  it('documents every operation with an operationId, a summary, a reply schema and its refusals', async () => {
    const doc = JSON.parse(await gatewayOpenApi());
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item as object).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThanOrEqual(80);
    for (const { path, method, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      expect([where, typeof op.operationId, typeof op.summary]).toEqual([where, 'string', 'string']);
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect([where, success.length]).toEqual([where, 1]);
      expect([where, Object.keys(op.responses[success[0]].content ?? {}).length > 0]).toEqual([where, true]);
      expect([where, op.responses['401']?.content['application/json'].schema.allOf[0].$ref]).toEqual([where, '#/components/schemas/ErrorBody']);
      if (['post', 'put', 'patch', 'delete'].includes(method) && op.operationId !== 'devLogin') {
        expect([where, (op.parameters ?? []).some((p: { in: string; name: string }) => p.in === 'header' && p.name === 'Idempotency-Key')]).toEqual([where, true]);
      }
    }
  });
});
