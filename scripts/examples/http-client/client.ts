/**
 * A typed client of the gateway, generated from docs/openapi.json: `openapi.d.ts` is written by
 * openapi-typescript (`npm run contracts`), the calls are made by openapi-fetch. Every path,
 * parameter, body and reply is typed from the document; a mutation does not compile without its
 * Idempotency-Key, and a refusal comes back as `error` typed with the codes of its status.
 * See examples/http-client/README.md.
 */
import createClient, { Client } from 'openapi-fetch';
import type { components, paths } from './openapi';

export type VoucherApi = Client<paths>;
export type Schemas = components['schemas'];

export interface VoucherApiOptions {
  /** the gateway, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** the principal's bearer token; none for the public routes */
  token?: string;
  /** a fetch of one's own (tests, proxies) */
  fetch?: typeof fetch;
}

export function voucherApi(options: VoucherApiOptions): VoucherApi {
  const client = createClient<paths>({ baseUrl: options.baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  if (options.token) {
    const authorization = `Bearer ${options.token}`;
    client.use({
      onRequest({ request }) {
        request.headers.set('Authorization', authorization);
        return request;
      },
    });
  }
  return client;
}
