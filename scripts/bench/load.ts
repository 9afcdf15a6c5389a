import { headers as natsHeaders, NatsConnection } from 'nats';
import type { SigningFigure } from './signing';

export interface LoadResult {
  name: string;
  /** which of the targets the row is judged by (targets.ts) */
  key?: 'ceiling' | 'pay-nats' | 'pay-grpc' | 'read-http' | 'settlement-ceiling' | 'settlement-floor' | 'settlement';
  /** payments: what signing and verifying their events cost (signing.ts) */
  signing?: SigningFigure;
  /** CPU milliseconds per request of each process serving it (robust to a shared machine's load) */
  cpuMsPerRequest?: Record<string, number>;
  /** settlement: claims settled, and each step's time in seconds */
  steps?: Record<string, number>;
  ok: number;
  failed: number;
  seconds: number;
  throughput: number;
  p50: number;
  p99: number;
  /** throughput of the scenario's own ceiling, when it is not the request ceiling (a batch's raw SQL) */
  ceiling?: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarise(name: string, latencies: number[], failed: number, seconds: number): LoadResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { name, ok: latencies.length, failed, seconds, throughput: latencies.length / seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/**
 * Closed-loop load: `concurrency` workers each send one request, await its reply, send the next,
 * for `seconds` (bounded in time and in count). Latency in milliseconds.
 */
export async function natsLoad(
  connectClient: () => Promise<NatsConnection>,
  name: string,
  opts: { concurrency: number; seconds: number; maxRequests?: number; connections?: number },
  makeRequest: (i: number) => { subject: string; body: unknown; headers?: Record<string, string> },
  isOk: (reply: { ok: boolean }) => boolean = (r) => r.ok,
): Promise<LoadResult> {
  const conns: NatsConnection[] = await Promise.all(Array.from({ length: opts.connections ?? 2 }, () => connectClient()));
  const latencies: number[] = [];
  let failed = 0;
  let issued = 0;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const deadline = Date.now() + opts.seconds * 1000;
  const started = process.hrtime.bigint();
  const worker = async (w: number) => {
    const nc = conns[w % conns.length];
    while (Date.now() < deadline && issued < (opts.maxRequests ?? Infinity)) {
      const i = issued++;
      const { subject, body, headers } = makeRequest(i);
      const h = natsHeaders();
      for (const [k, v] of Object.entries(headers ?? {})) h.set(k, v);
      const t0 = process.hrtime.bigint();
      try {
        const msg = await nc.request(subject, enc.encode(JSON.stringify(body)), { timeout: 10000, headers: h });
        const reply = JSON.parse(dec.decode(msg.data));
        if (isOk(reply)) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, (_, w) => worker(w)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(conns.map((c) => c.close()));
  return summarise(name, latencies, failed, seconds);
}

/** Peak resident memory (VmHWM) of a process, in MiB. */
export async function peakRssMiB(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds (/proc, clock ticks of 10 ms). */
export async function cpuMillis(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
