import { Injectable } from '@nestjs/common';
import { Headers } from '@vc/contracts';
import { RpcClient } from '@vc/messaging';
import { AuthedRequest } from './http-auth.guard';

const NUMERIC_QUERY = new Set(['limit', 'offset']);

/**
 * The gateway is thin: it authenticates, then forwards the body with the caller's own token and
 * idempotency key to the owning service, which validates and re-checks the principal.
 */
@Injectable()
export class Forwarder {
  constructor(private readonly rpc: RpcClient) {}

  call<T = unknown>(req: AuthedRequest, subject: string, body: unknown): Promise<T> {
    const key = req.headers[Headers.IdempotencyKey.toLowerCase()];
    return this.rpc.request<T>(subject, body, { token: req.bearer, idempotencyKey: Array.isArray(key) ? key[0] : key, clientAddress: req.ip });
  }

  /** Query strings are text; the page parameters become numbers when they are digits. */
  static query(q: Record<string, string | string[] | undefined>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(q ?? {})) {
      if (v === undefined) continue;
      const value = Array.isArray(v) ? v[0] : v;
      out[k] = NUMERIC_QUERY.has(k) && /^-?\d{1,9}$/.test(value) ? Number(value) : value;
    }
    return { ...out, ...extra };
  }
}
