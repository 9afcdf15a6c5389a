import { randomUUID } from 'node:crypto';
import { Principal } from '@vc/contracts';
import { devToken } from '../dev-token';

/** A small HTTP client for the demo: every call as one principal, every mutation with an idempotency key. */
export class DemoClient {
  constructor(private readonly baseUrl: string) {}

  async call<T = any>(principal: Principal | null, method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    if (principal) headers.Authorization = `Bearer ${await devToken(principal)}`;
    if (method !== 'GET') {
      headers['Idempotency-Key'] = randomUUID();
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(url, { method, headers, body: method === 'GET' ? undefined : JSON.stringify(body ?? {}) });
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (!res.ok) throw new DemoRefusal(res.status, json);
    return json as T;
  }

  /** Calls that are expected to be refused, to show the refusal. */
  async refused(principal: Principal | null, method: string, path: string, body?: unknown): Promise<{ status: number; code: string; message: string; field?: string }> {
    try {
      await this.call(principal, method, path, body);
    } catch (err) {
      if (err instanceof DemoRefusal) return { status: err.status, ...err.body };
      throw err;
    }
    throw new Error(`${method} ${path} was expected to be refused`);
  }
}

export class DemoRefusal extends Error {
  constructor(readonly status: number, readonly body: { code: string; message: string; field?: string }) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}
