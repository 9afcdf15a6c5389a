import 'reflect-metadata';
/**
 * `npm run bench`: starts the real pieces on this machine (PostgreSQL from infra, a private
 * nats-server with JetStream, services as their own processes) and measures, in one run:
 * the ceiling (raw NATS request → minimal Nest handler → one conditional UPDATE), then each
 * scenario, printing throughput, p50/p99 and the ratio to the ceiling, plus peak RSS per process,
 * and writing bench/results/<timestamp>.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'nats';
import { inboxPrefix } from '@vc/messaging';
import { createTestDatabase, spawnService, startNats, ServiceProcess } from '@vc/testing';
import { cpuMillis, natsLoad, LoadResult, peakRssMiB } from './load';
import { BenchContext } from './scenarios';
import { printVerdicts, verdicts } from './targets';
import { SCENARIOS } from './scenarios/index';

const args = new Set(process.argv.slice(2));
/**
 * `--quick`: the routine check (about two minutes on two cores, build included): 4 s per scenario
 * and a settlement of 100,000 claims (scenarios/settlement.ts) instead of 1 million; the same targets.
 */
const QUICK = args.has('--quick');
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 4 : 10));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
/** BENCH_ONLY=gRPC: only the scenarios whose name contains it, or one of its `|`-separated parts (the ceiling is always measured). */
const ONLY = process.env.BENCH_ONLY;
/** BENCH_KEEP_DB=1: the bench's database is kept (its URL printed) to inspect plans on the data it made. */
const KEEP_DB = process.env.BENCH_KEEP_DB === '1';

async function spawnCeiling(env: Record<string, string>): Promise<ServiceProcess> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-r', './scripts/register-paths.js', 'dist/scripts/bench/ceiling-service.js'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  while (!out.includes('ready')) {
    if (child.exitCode !== null) throw new Error(out);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { pid: child.pid!, exited, kill: (s = 'SIGTERM') => child.kill(s), output: () => out };
}

function profileDir(): string {
  const dir = join(process.cwd(), 'bench', 'profiles');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * The ceiling's NATS user: not one of the system's, added to this run's nats-server only, with a
 * service's kind of rights (its one subject in its own queue group, replies, its own inbox), so
 * that the ceiling pays the same permission checks as a service.
 */
const BENCH_NATS_PASSWORD = randomBytes(24).toString('base64url');
const benchUser = {
  permissions: { user: 'bench', publish: ['bench.ceiling'], subscribe: ['bench.ceiling bench', `${inboxPrefix('bench')}.>`], allowResponses: true },
  password: BENCH_NATS_PASSWORD,
};

async function main() {
  const nats = await startNats({ extraUsers: [benchUser] });
  const db = await createTestDatabase();
  const env = { DATABASE_URL: db.url, NATS_URL: nats.url, DB_POOL_SIZE: process.env.BENCH_DB_POOL ?? '16', LOG_LEVEL: 'info' };
  const rows: Array<LoadResult & { ratio?: number }> = [];
  const rss: Record<string, number | null> = {};
  const processes: Array<[string, ServiceProcess]> = [];
  try {
    console.log(`bench${QUICK ? ' (quick)' : ''}: ${SECONDS}s per scenario, ${CONCURRENCY} concurrent clients, machine: ${(await import('node:os')).cpus().length} cores`);
    const ceilingProc = await spawnCeiling({ ...env, BENCH_NATS_PASSWORD });
    processes.push(['ceiling', ceilingProc]);
    let n = 0;
    const benchClient = () => connect({ servers: nats.url, user: 'bench', pass: BENCH_NATS_PASSWORD, inboxPrefix: inboxPrefix('bench'), name: 'bench-load' });
    const ceilingCpu0 = await cpuMillis(ceilingProc.pid);
    const ceiling = await natsLoad(benchClient, 'ceiling: NATS → Nest handler → 1 conditional UPDATE', { concurrency: CONCURRENCY, seconds: SECONDS }, () => ({
      subject: 'bench.ceiling',
      body: { account: (n++ % 1000) + 1 },
    }));
    rows.push({ ...ceiling, key: 'ceiling', ratio: 1, cpuMsPerRequest: { ceiling: ((await cpuMillis(ceilingProc.pid)) - ceilingCpu0) / Math.max(1, ceiling.ok + ceiling.failed) } });
    rss.ceiling = await peakRssMiB(ceilingProc.pid);
    ceilingProc.kill('SIGTERM');

    const ctx: BenchContext = { nats, db, env, seconds: SECONDS, concurrency: CONCURRENCY, flags: args, spawn: async (name, app, extra = {}, root) => {
      const profile: Record<string, string> = process.env.BENCH_PROFILE
        ? { NODE_OPTIONS: `--require ${join(process.cwd(), 'scripts', 'bench', 'profile-preload.js')}`, BENCH_PROFILE_FILE: join(profileDir(), `${name}.cpuprofile`) }
        : {};
      const proc = await spawnService(app, { ...env, ...profile, ...extra }, { compiled: true, root });
      processes.push([name, proc]);
      return proc;
    } };
    for (const scenario of SCENARIOS) {
      if (scenario.flag && !args.has(scenario.flag)) continue;
      if (scenario.replacedBy && args.has(scenario.replacedBy)) continue;
      if (ONLY && !ONLY.split('|').some((part) => scenario.name.includes(part))) continue;
      try {
        const results = await scenario.run(ctx);
        // a batch is measured against its own ceiling; the request ceiling means something only for requests
        for (const r of results) rows.push({ ...r, ratio: r.ceiling ? r.throughput / r.ceiling : Number.isNaN(r.p50) ? undefined : r.throughput / ceiling.throughput });
      } catch (err) {
        console.log(`  ${scenario.name}: not measured — ${(err as Error).message}`);
      }
    }
    for (const [name, proc] of processes) rss[name] = rss[name] ?? (await peakRssMiB(proc.pid));
  } finally {
    for (const [, proc] of processes) proc.kill('SIGTERM');
    await nats.dispose();
    if (KEEP_DB) console.log(`database kept for inspection: ${db.url}`);
    else await db.drop().catch(() => undefined);
  }

  console.log('\nscenario                                                   ok/s      p50 ms   p99 ms   failed  ratio to ceiling');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(56)} ${r.throughput.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(8)} ${String(r.failed).padStart(8)}  ${r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(0)} %`}`,
    );
  }
  const cpuRows = rows.filter((r) => r.cpuMsPerRequest);
  if (cpuRows.length) console.log('\nCPU per request (ms): ' + cpuRows.map((r) => `${r.name.split(':')[0]}: ${Object.entries(r.cpuMsPerRequest!).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`).join('; '));
  console.log('\npeak RSS (MiB): ' + Object.entries(rss).map(([k, v]) => `${k} ${v ?? '?'}`).join(', '));
  const judged = verdicts(rows, rss);
  printVerdicts(judged);
  console.log('(one run on a shared machine: compare ratios within a run, not absolute figures across runs)');
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), mode: QUICK ? 'quick' : 'full', seconds: SECONDS, concurrency: CONCURRENCY, rows, peakRssMiB: rss, targets: judged }, null, 2));
  console.log(`results written to ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
