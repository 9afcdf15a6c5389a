import 'reflect-metadata';
/**
 * Writes docs/openapi.json, the gateway's OpenAPI document, from the controllers, DTOs and views
 * (`npm run contracts`, from the repository's root). A test compares the file with the document the gateway serves.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayOpenApi, natsAsyncApi } from './documents';

void (async () => {
  for (const [name, document] of [['openapi.json', gatewayOpenApi], ['asyncapi.json', natsAsyncApi]] as const) {
    const file = join(process.cwd(), 'docs', name);
    writeFileSync(file, await document());
    console.log(`wrote ${file}`);
  }
})();
