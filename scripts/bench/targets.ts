import { LoadResult } from './load';

/**
 * The performance targets (docs/performance.md, "Targets"), each judged on the figures of one run:
 * ratios against that run's ceilings, since the machine's speed moves between runs.
 */
export interface Verdict {
  target: string;
  figure: string;
  met: boolean | null;
}

const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
const rate = (x: number) => `${Math.round(x).toLocaleString('en')}/s`;
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** Each target beside the run's figure; `met` is null when the run did not measure it. */
export function verdicts(rows: Array<LoadResult & { ratio?: number }>, peakRss: Record<string, number | null>): Verdict[] {
  const row = (key: LoadResult['key']) => rows.find((r) => r.key === key);
  const ceiling = row('ceiling');
  const nats = row('pay-nats');
  const grpc = row('pay-grpc');
  const read = row('read-http');
  const settlements = rows.filter((r) => r.key === 'settlement');
  const out: Verdict[] = [];
  const missing = (target: string) => out.push({ target, figure: 'not measured', met: null });

  if (nats && ceiling) {
    const ratio = nats.throughput / ceiling.throughput;
    out.push({ target: 'payment over NATS: ≥ 200 % of the ceiling, p99 < 50 ms', figure: `${rate(nats.throughput)} = ${pct(ratio)}, p99 ${ms(nats.p99)}`, met: ratio >= 2 && nats.p99 < 50 });
  } else missing('payment over NATS: ≥ 200 % of the ceiling, p99 < 50 ms');
  if (grpc && nats) {
    const ratio = grpc.throughput / nats.throughput;
    out.push({ target: 'payment over gRPC: ≥ 90 % of NATS payments, p99 < 60 ms', figure: `${rate(grpc.throughput)} = ${pct(ratio)} of NATS, p99 ${ms(grpc.p99)}`, met: ratio >= 0.9 && grpc.p99 < 60 });
  } else missing('payment over gRPC: ≥ 90 % of NATS payments, p99 < 60 ms');
  for (const [label, r] of [['NATS', nats], ['gRPC', grpc]] as const) {
    const target = `payment over ${label}: signing + verifying its events ≤ 10 % of the machine`;
    if (!r?.signing) {
      missing(target);
      continue;
    }
    const s = r.signing;
    out.push({
      target,
      figure:
        `${pct(s.machineShare)}: (sign ${s.signMicros.toFixed(0)} + verify ${s.verifyMicros.toFixed(0)} µs) × ${s.eventsPerPayment.toFixed(2)} events × ${rate(r.throughput)}; ` +
        `${s.verified.toLocaleString('en')} verified during the run, ${pct(s.publishedInWindow)} published inside the window`,
      met: s.machineShare <= 0.1,
    });
  }
  if (read && ceiling) {
    const ratio = read.throughput / ceiling.throughput;
    out.push({ target: 'enterprise read GET /v1/orders: ≥ 100 % of the ceiling, p99 < 50 ms', figure: `${rate(read.throughput)} = ${pct(ratio)}, p99 ${ms(read.p99)}`, met: ratio >= 1 && read.p99 < 50 });
  } else missing('enterprise read GET /v1/orders: ≥ 100 % of the ceiling, p99 < 50 ms');
  const floor = row('settlement-floor');
  for (const s of settlements) {
    const steps = Object.entries(s.steps ?? {}).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
    if (floor) {
      const times = s.seconds / floor.seconds;
      out.push({ target: `settlement of ${s.ok.toLocaleString('en')} claims: ≤ 2× its floor (read once + group)`, figure: `${s.seconds.toFixed(1)} s = ${times.toFixed(1)}× the floor's ${floor.seconds.toFixed(1)} s (${steps})`, met: times <= 2 });
    }
    if (s.ok >= 10_000_000) out.push({ target: 'settlement of 10 M claims: < 30 s', figure: `${s.seconds.toFixed(1)} s`, met: s.seconds < 30 });
  }
  if (settlements.length === 0) missing('settlement: ≤ 2× its floor');
  const measured = Object.entries(peakRss).filter(([, v]) => v !== null) as Array<[string, number]>;
  const worst = measured.sort((a, b) => b[1] - a[1])[0];
  out.push({ target: 'peak RSS of every process < 200 MiB', figure: worst ? `highest: ${worst[0]} ${worst[1]} MiB` : 'not measured', met: worst ? worst[1] < 200 : null });
  return out;
}

export function printVerdicts(list: Verdict[]): void {
  const width = Math.max(...list.map((v) => v.target.length));
  console.log(`\n${'target'.padEnd(width)}  verdict   figure (this run)`);
  for (const v of list) console.log(`${v.target.padEnd(width)}  ${(v.met === null ? '—' : v.met ? 'met' : 'not met').padEnd(8)}  ${v.figure}`);
}
