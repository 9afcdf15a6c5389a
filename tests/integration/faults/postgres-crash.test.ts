import { NatsConnection } from 'nats';
import { connectAs, consumersCaughtUp, eventually, freePort, ServiceProcess, spawnService, sql, TestPostgres, TestSystem } from '@vc/testing';
import { formatReport, runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { LoadParty, PaymentLoad } from '../../fixtures/payment-load';
import { UpstreamFeed } from '../../fixtures/redemption';

jest.setTimeout(300_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOAD_SECONDS = Number(process.env.PG_FAULT_LOAD_SECONDS ?? 20);

const alive = (s: ServiceProcess) => {
  try {
    process.kill(s.pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * PostgreSQL crashes and stalls under payment load: 24 clients (16 over NATS, 8 over HTTP through
 * the gateway) create, confirm and pay orders against two redemption processes while the server
 * (one of this suite's own) is killed with kill -9 and restarted, and later stopped (SIGSTOP) for
 * four seconds. The services are not restarted. Every request is retried with its key until it
 * has a final answer; afterwards each acknowledged payment must be stored exactly once with the
 * V it was told, refusals must carry a retryable code (UNAVAILABLE), and the ledger must balance.
 */
describe('faults: PostgreSQL killed (-9) and restarted, then stalled (SIGSTOP), under payment load', () => {
  let pg: TestPostgres;
  let sys: TestSystem;
  const services: ServiceProcess[] = [];
  let conns: NatsConnection[] = [];
  let httpBase: string;

  beforeAll(async () => {
    pg = await TestPostgres.start();
    sys = await TestSystem.start({ pgAdminUrl: pg.url() });
    const env = { DATABASE_URL: sys.db.url, NATS_URL: sys.nats.url, DB_POOL_SIZE: '8', DB_CONNECT_TIMEOUT_MS: '2000' };
    services.push(...(await Promise.all([0, 1].map(async () => spawnService('redemption', { ...env, GRPC_PORT: String(await freePort()), GRPC_PLAINTEXT: 'true' })))));
    const httpPort = await freePort();
    services.push(await spawnService('gateway', { ...env, HTTP_PORT: String(httpPort), RPC_TIMEOUT_MS: '3000', RATE_LIMIT_PER_MINUTE: '1000000' }));
    httpBase = `http://127.0.0.1:${httpPort}`;
    // the load arrives as the gateway forwards it
    conns = await Promise.all([0, 1].map(() => connectAs(sys.nats.url, 'gateway')));
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
    for (const s of services) s.kill('SIGKILL');
    if (pg?.pid() !== null) pg?.signal('SIGCONT');
    else await pg?.start().catch(() => undefined);
    await sys?.stop().catch(() => undefined);
    await pg?.dispose();
  });

  it('R-OFFSET-2 / R-LEDGER-1: every acknowledged payment stored once, refusals UNAVAILABLE only, services recover without a restart, 0 ledger differences', async () => {
    const feed = new UpstreamFeed(sys);
    const programmeId = await feed.programme('JS', { budgetFen: 10n ** 12n });
    const provider = await feed.provider({ province: 'SH' });
    const enterprises: LoadParty[] = [];
    for (let i = 0; i < 24; i++) {
      const e = await feed.enterprise('JS');
      await feed.quota(e.id, programmeId, 10_000_000);
      enterprises.push(e);
    }
    const load = new PaymentLoad({ nats: conns, natsClients: 16, httpBase, httpClients: 8, provider, enterprises, seconds: LOAD_SECONDS });
    const marks: Record<string, number> = {};
    const third = (LOAD_SECONDS * 1000) / 5;
    await load.run(async () => {
      await sleep(third);
      marks.killed = load.now();
      pg.signal('SIGKILL');
      await sleep(3000);
      await pg.start(); // crash recovery replays the WAL
      marks.restarted = load.now();
      await sleep(third);
      marks.stalled = load.now();
      pg.signal('SIGSTOP');
      await sleep(4000);
      pg.signal('SIGCONT');
      marks.resumed = load.now();
      // traffic goes on a while after the last fault, however long the faults took
      await sleep(5000);
    });
    const end = load.endMs;

    const crash = load.refusals(marks.killed, marks.stalled);
    const stall = load.refusals(marks.stalled, end + 60_000);
    const before = load.rate(1000, marks.killed);
    const afterRestart = load.rate(marks.restarted + 2000, marks.stalled);
    const afterStall = load.rate(marks.resumed + 2000, end);
    const check = await load.verify(sys.db.url);
    console.log(
      [
        `postgres kill -9 / SIGSTOP under load: ${load.attempts.length} requests, results ${JSON.stringify(load.results())}`,
        `payments acknowledged ${check.acknowledged}, stored ${check.stored}; failed flows ${load.failed.length}`,
        `kill -9 at ${(marks.killed / 1000).toFixed(1)} s, restarted (crash recovery done) ${((marks.restarted - marks.killed) / 1000).toFixed(1)} s later: ` +
          `no request succeeded for ${load.longestGap(marks.killed, marks.stalled).toFixed(1)} s; ${crash.count} refused or unanswered attempts over ${crash.seconds.toFixed(1)} s`,
        `SIGSTOP at ${(marks.stalled / 1000).toFixed(1)} s for 4 s: no request succeeded for ${load.longestGap(marks.stalled, end).toFixed(1)} s; ` +
          `${stall.count} refused or unanswered attempts over ${stall.seconds.toFixed(1)} s`,
        `payments/s: ${before.toFixed(0)} before, ${afterRestart.toFixed(0)} after the restart, ${afterStall.toFixed(0)} after the stall`,
      ].join('\n'),
    );

    const unhandled = services.flatMap((s) => s.output().split('\n').filter((l) => /unhandled error/.test(l)));
    if (unhandled.length) console.log(`errors the services did not classify:\n${unhandled.slice(0, 5).join('\n')}`);
    // every request got its final answer, and the only refusals were retryable unavailability
    expect(load.failed).toEqual([]);
    expect(Object.keys(load.results()).filter((r) => !['ok', 'UNAVAILABLE', 'no answer'].includes(r))).toEqual([]);
    // the faults did hit the traffic
    expect(crash.count).toBeGreaterThan(0);
    // acknowledged = stored, each once, with the V the client was told
    expect(check).toMatchObject({ missing: [], wrongVoucher: [], twice: [], unacknowledged: [] });
    expect(check.stored).toBe(check.acknowledged);
    // the same processes serve again after the restart and after the stall
    expect(services.every(alive)).toBe(true);
    expect(afterRestart).toBeGreaterThan(0);
    expect(afterStall).toBeGreaterThan(0);

    // once quiet: every event relayed, consumers caught up, R-LEDGER-1 holds
    await eventually(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.outbox WHERE published_at IS NULL`))[0].n === 0 && (await consumersCaughtUp(sys.client.nc)), 60_000, 200);
    const report = await runLedgerChecks(sys.db.url);
    expect(report.filter((r) => r.status === 'differs')).toEqual([]);
    expect(report.filter((r) => r.status === 'ok').length).toBeGreaterThanOrEqual(2);
    if (report.some((r) => r.status === 'differs')) console.log(formatReport(report));
  });
});
