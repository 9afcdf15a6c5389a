import 'reflect-metadata';
/**
 * Writes docs/openapi.json, the gateway's OpenAPI document, from the controllers, DTOs and views
 * (`npm run contracts`, from the repository's root). A test compares the file with the document the gateway serves.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayOpenApi } from './documents';

void (async () => {
  const file = join(process.cwd(), 'docs', 'openapi.json');
  writeFileSync(file, await gatewayOpenApi());
  console.log(`wrote ${file}`);
})();
