import { AckPolicy, DeliverPolicy, NatsConnection } from 'nats';
import { loadServiceKey, TrustedServiceKeys } from '@vc/auth';
import { EVENT_STREAM } from '@vc/contracts';
import { EventSigner, EventVerifier, inboxPrefix } from '@vc/messaging';
import { connectAs, sql, testSecretsDir } from '@vc/testing';

/**
 * What signing and verifying the events costs a payment (issue 24: at most 10 % of the ceiling).
 *
 * Signing is in every payment figure already: redemption's outbox relay signs each event with the
 * service's Ed25519 key while the load runs. No service consumes the order events a payment
 * writes, so the bench verifies them itself, as a consumer would, while the load runs on the same
 * cores: `EventVerifierLoad` reads every event the stream takes during the scenario and checks its
 * signature with the trusted keys. After the window, `signingFigure` reads how many events the
 * payments wrote and how many were signed and published inside the window, and times signing and
 * verifying one of those envelopes in this process, to say what share of the machine the
 * signatures take at the measured rate.
 */
export class EventVerifierLoad {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly done: Promise<void>,
    private readonly stopFn: () => void,
    private readonly counts: { verified: number; refused: number },
  ) {}

  get verified(): number {
    return this.counts.verified;
  }

  get refused(): number {
    return this.counts.refused;
  }

  static async start(url: string): Promise<EventVerifierLoad> {
    const nc = await connectAs(url, 'ops', 'bench-verifier');
    const verifier = new EventVerifier(TrustedServiceKeys.load(testSecretsDir(), false));
    // an ephemeral push consumer of the events stored from now on, delivered to an inbox of the
    // operators' user (who may read the stream, and subscribe only to its own inboxes)
    const deliver = `${inboxPrefix('ops')}.bench-verifier`;
    const jsm = await nc.jetstreamManager();
    const info = await jsm.consumers.add(EVENT_STREAM, { deliver_subject: deliver, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.New, filter_subject: 'voucher.events.>' });
    const sub = nc.subscribe(deliver);
    const counts = { verified: 0, refused: 0 };
    const done = (async () => {
      for await (const m of sub) {
        if (m.headers?.hasError || m.data.length === 0) continue; // flow control and heartbeats
        if (verifier.check(m.subject, m.data, m.headers).ok) counts.verified++;
        else counts.refused++;
      }
    })();
    const stop = () => {
      sub.unsubscribe();
      void jsm.consumers.delete(EVENT_STREAM, info.name).catch(() => undefined);
    };
    return new EventVerifierLoad(nc, done, stop, counts);
  }

  async stop(): Promise<void> {
    this.stopFn();
    await this.done.catch(() => undefined);
    await this.nc.drain().catch(() => undefined);
  }
}

export interface SigningFigure {
  /** events the payments wrote (the service's outbox) per acknowledged payment */
  eventsPerPayment: number;
  /** of the events written inside the window, the share signed and published inside it */
  publishedInWindow: number;
  /** events verified by the bench's consumer during the scenario, and refused ones (must be 0) */
  verified: number;
  refused: number;
  signMicros: number;
  verifyMicros: number;
  /** (sign + verify) × events per payment × payments per second, over the machine's cores */
  machineShare: number;
}

/**
 * CPU microseconds per call (user + system time of this process, not wall time: the machine is
 * shared, and a share of the machine is what the figure states).
 */
function cpuMicrosPer(n: number, fn: () => void): number {
  fn(); // warm
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

export async function signingFigure(
  databaseUrl: string,
  schema: string,
  window: { from: Date; to: Date; payments: number; throughput: number },
  verifierLoad: EventVerifierLoad,
  cores: number,
): Promise<SigningFigure> {
  const [counts] = await sql<{ written: number; published: number }>(
    databaseUrl,
    `SELECT count(*)::int AS written, count(*) FILTER (WHERE published_at <= $2)::int AS published FROM ${schema}.outbox WHERE created_at >= $1 AND created_at <= $2`,
    [window.from, window.to],
  );
  const [sample] = await sql<{ subject: string; envelope: string }>(databaseUrl, `SELECT subject, envelope::text AS envelope FROM ${schema}.outbox WHERE created_at >= $1 ORDER BY id LIMIT 1`, [window.from]);
  const data = new TextEncoder().encode(sample?.envelope ?? '{}');
  const subject = sample?.subject ?? 'voucher.events.order.paid';
  const trusted = TrustedServiceKeys.load(testSecretsDir(), false);
  const signer = new EventSigner(loadServiceKey(testSecretsDir(), 'redemption', trusted, false));
  const verifier = new EventVerifier(trusted);
  const headers = signer.headers(subject, data);
  const signMicros = cpuMicrosPer(5000, () => signer.headers(subject, data));
  const verifyMicros = cpuMicrosPer(5000, () => verifier.check(subject, data, headers));
  const eventsPerPayment = window.payments ? counts.written / window.payments : 0;
  return {
    eventsPerPayment,
    publishedInWindow: counts.written ? counts.published / counts.written : 1,
    verified: verifierLoad.verified,
    refused: verifierLoad.refused,
    signMicros,
    verifyMicros,
    machineShare: ((signMicros + verifyMicros) * eventsPerPayment * window.throughput) / (cores * 1e6),
  };
}
