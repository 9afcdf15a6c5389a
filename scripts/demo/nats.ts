import { randomUUID } from 'node:crypto';
import { connect, headers as natsHeaders, NatsConnection } from 'nats';
import { Headers, Principal, toJson } from '@vc/contracts';
import { decodeReply } from '@vc/messaging';
import { devToken } from '../dev-token';

/** NATS request-reply as a provider system (or an operator's batch tool) would use it. */
export class DemoNats {
  private constructor(readonly nc: NatsConnection) {}

  static async connect(url: string): Promise<DemoNats> {
    return new DemoNats(await connect({ servers: url, name: 'demo' }));
  }

  async call<T = any>(principal: Principal | null, subject: string, body: unknown, idempotencyKey: string | null = randomUUID()): Promise<T> {
    const reply = await this.reply<T>(principal, subject, body, idempotencyKey);
    if (!reply.ok) throw new Error(`${subject}: ${reply.error.code} ${reply.error.message}`);
    return reply.data;
  }

  async reply<T = any>(principal: Principal | null, subject: string, body: unknown, idempotencyKey: string | null = randomUUID()) {
    const h = natsHeaders();
    if (principal) h.set(Headers.Authorization, `Bearer ${devToken(principal)}`);
    if (idempotencyKey) h.set(Headers.IdempotencyKey, idempotencyKey);
    const msg = await this.nc.request(subject, new TextEncoder().encode(toJson(body)), { timeout: 15000, headers: h });
    return decodeReply<T>(msg.data);
  }

  /** Moves the simulated business clock of every service (the services run with CLOCK_MODE=simulated). */
  async setClock(principal: Principal, instant: string): Promise<void> {
    for (const service of ['registry', 'issuance', 'redemption', 'settlement']) {
      await this.call(principal, `${service}.clock.set`, { now: instant }, null);
    }
  }

  async close(): Promise<void> {
    await this.nc.drain();
  }
}

export async function until<T>(probe: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
