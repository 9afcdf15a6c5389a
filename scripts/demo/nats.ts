import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, NatsConnection } from 'nats';
import { Headers, Principal, PROVIDER_SUBJECTS, Role, toJson } from '@vc/contracts';
import { decodeReply } from '@vc/messaging';
import { devToken } from '../dev-token';
import { connectLocal } from '../local-nats';

/**
 * NATS request-reply as the parties would use it, each as the NATS user it stands for: a provider
 * system from the provider template account, the apps and operators' calls as the gateway forwards
 * them, the simulated clock with the operators' `ops` tool user. NATS is locked down here as
 * everywhere: none of them may do what another does.
 */
export class DemoNats {
  private constructor(private readonly provider: NatsConnection, private readonly gateway: NatsConnection, private readonly ops: NatsConnection) {}

  static async connect(url: string): Promise<DemoNats> {
    return new DemoNats(await connectLocal('provider-template', url, 'demo-provider'), await connectLocal('gateway', url, 'demo-apps'), await connectLocal('ops', url, 'demo-ops'));
  }

  private connectionFor(principal: Principal | null, subject: string): NatsConnection {
    if (subject.endsWith('.clock.set')) return this.ops;
    return principal?.role === Role.Provider && PROVIDER_SUBJECTS.includes(subject) ? this.provider : this.gateway;
  }

  async call<T = any>(principal: Principal | null, subject: string, body: unknown, idempotencyKey: string | null = randomUUID()): Promise<T> {
    const reply = await this.reply<T>(principal, subject, body, idempotencyKey);
    if (!reply.ok) throw new Error(`${subject}: ${reply.error.code} ${reply.error.message}`);
    return reply.data;
  }

  async reply<T = any>(principal: Principal | null, subject: string, body: unknown, idempotencyKey: string | null = randomUUID()) {
    const h = natsHeaders();
    if (principal) h.set(Headers.Authorization, `Bearer ${await devToken(principal)}`);
    if (idempotencyKey) h.set(Headers.IdempotencyKey, idempotencyKey);
    const msg = await this.connectionFor(principal, subject).request(subject, new TextEncoder().encode(toJson(body)), { timeout: 15000, headers: h });
    return decodeReply<T>(msg.data);
  }

  /** Moves the simulated business clock of every service (the services run with CLOCK_MODE=simulated). */
  async setClock(principal: Principal, instant: string): Promise<void> {
    for (const service of ['registry', 'issuance', 'redemption', 'settlement']) {
      await this.call(principal, `${service}.clock.set`, { now: instant }, null);
    }
  }

  async close(): Promise<void> {
    for (const nc of [this.provider, this.gateway, this.ops]) await nc.drain();
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
