import { Events, Role, Subjects } from '@vc/contracts';
import { copiesFresh, eventually, EventPublisher, freePort, NatsTestClient, publishEvent, sql, tokenFor } from '@vc/testing';
import { cpuMillis, LoadResult, summarise } from '../load';
import { BenchContext, Scenario } from '../scenarios';

const S = Subjects.settlement;
/** Anonymous clients downloading the notice at once (issue 29: 80 took settlement down). */
const DOWNLOADERS = Number(process.env.BENCH_NOTICE_DOWNLOADERS ?? 80);
const CLAIMS = Number(process.env.BENCH_NOTICE_CLAIMS ?? 2000);

/**
 * R-PUB-1 under an anonymous flood (issue 29): a published run's notice downloaded by DOWNLOADERS
 * anonymous clients at once, in a closed loop, through the gateway, while an operator keeps calling
 * settlement (the run's view). Settlement and the gateway are processes of their own. The figure
 * that matters is the operator's p99 and the failures (a 503 is one); the anonymous limit is lifted
 * so that the flood reaches settlement, as one spread over many addresses would.
 */
export const publicityNoticeFlood: Scenario = {
  name: 'publicity notice flood',
  async run(ctx: BenchContext): Promise<LoadResult[]> {
    const settlement = await ctx.spawn('settlement', 'settlement', { CLOCK_MODE: 'simulated', SIMULATED_NOW: '2026-10-09T10:00:00+08:00', CONFIRM_PAYMENTS_WITH: 'none' });
    const port = await freePort();
    const gateway = await ctx.spawn('gateway', 'gateway', { HTTP_PORT: String(port), RATE_LIMIT_PER_MINUTE: '100000000', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000000' });
    const client = await NatsTestClient.connect(ctx.nats.url);
    const programmeId = 'JS-2026';
    const events = new EventPublisher(ctx.nats.url);
    await publishEvent({ events }, Events.programmeOpened, programmeId, {
      programmeId, province: 'JS', year: 2026, version: 1, status: 'open', offsetRateBp: 2500, annualCapFen: '10000000', budgetFen: '1000000000000',
      mode: 'provider_redeems', publicityWorkingDays: 5, matchingDeadlineMonths: 3, rewardRateBp: 500, rewardCapFen: '50000000', effectiveFrom: '2026-01-01T00:00:00Z',
    });
    await events.keepFresh(['providers', 'programmes']);
    await eventually(async () => (await sql(ctx.db.url, `SELECT 1 FROM settlement.programmes WHERE id = $1`, [programmeId])).length > 0, 30000);
    await copiesFresh(ctx.db.url, 'settlement', ['programmes']);
    // claims written straight into settlement's table, as its consumer would have (the settlement scenario does the same)
    await sql(
      ctx.db.url,
      `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id, provider_id, provider_name,
         provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at, run_quarter)
       SELECT gen_random_uuid(), gen_random_uuid(), $1, 1, 'provider_redeems', md5('e' || g)::uuid, '苏州示范企业' || g || '号有限公司', md5('region')::uuid,
              md5('p' || (g % 50))::uuid, '检测中心' || (g % 50), '9132010000000' || lpad((g % 50)::text, 5, '0'), 'JS', 'provider', md5('p' || (g % 50))::uuid,
              100000 + g * 10, (100000 + g * 10) / 4, 'BENCH-NOTICE-' || g, '2026-08-01T10:00:00+08:00', '2026Q3'
         FROM generate_series(1, $2) g`,
      [programmeId, CLAIMS],
    );
    const operator = { sub: 'bench-op', role: Role.ProgrammeOperator, org: 'JS', province: 'JS' as const };
    const op = { principal: operator, timeoutMs: 120000 };
    const run = await client.ok(S.runStart, { programmeId, quarter: '2026Q3', sampleRateBp: 0 }, { ...op, idempotencyKey: 'bench-notice-start' });
    await client.ok(S.runReview, { runId: run.id, approveAll: true }, { ...op, idempotencyKey: 'bench-notice-review' });
    await client.ok(S.runPublish, { runId: run.id }, { ...op, idempotencyKey: 'bench-notice-publish' });
    await client.close();

    const base = `http://127.0.0.1:${port}`;
    const bearer = `Bearer ${tokenFor(operator)}`;
    const deadline = Date.now() + ctx.seconds * 1000;
    const downloads: number[] = [];
    const operatorCalls: number[] = [];
    let downloadFailed = 0;
    let operatorFailed = 0;
    const timed = async (call: () => Promise<Response>): Promise<[number, boolean]> => {
      const t0 = process.hrtime.bigint();
      try {
        const res = await call();
        await res.arrayBuffer();
        return [Number(process.hrtime.bigint() - t0) / 1e6, res.status === 200];
      } catch {
        return [Number(process.hrtime.bigint() - t0) / 1e6, false];
      }
    };
    const cpu0 = [await cpuMillis(gateway.pid), await cpuMillis(settlement.pid)];
    const started = process.hrtime.bigint();
    await Promise.all([
      ...Array.from({ length: DOWNLOADERS }, async () => {
        while (Date.now() < deadline) {
          const [ms, ok] = await timed(() => fetch(`${base}/v1/publicity/${run.id}/notice.pdf`));
          if (ok) downloads.push(ms);
          else downloadFailed++;
        }
      }),
      (async () => {
        while (Date.now() < deadline) {
          const [ms, ok] = await timed(() => fetch(`${base}/v1/settlement/runs/${run.id}`, { headers: { authorization: bearer } }));
          if (ok) operatorCalls.push(ms);
          else operatorFailed++;
        }
      })(),
    ]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu1 = [await cpuMillis(gateway.pid), await cpuMillis(settlement.pid)];
    await events.close();
    const served = downloads.length + operatorCalls.length;
    // CPU per request of each process (robust to the shared machine's load): the downloads' cost stays in the gateway
    const cpuMsPerRequest = { gateway: (cpu1[0] - cpu0[0]) / served, settlement: (cpu1[1] - cpu0[1]) / served };
    const [{ renders }] = await sql<{ renders: number }>(ctx.db.url, `SELECT renders FROM settlement.public_document_renders WHERE run_id = $1`, [run.id]);
    console.log(`  ${CLAIMS} claims listed; the notice rendered ${renders} time(s) during ${downloads.length + downloadFailed} downloads`);
    return [
      { ...summarise(`anonymous notice downloads (${DOWNLOADERS} concurrent, through the gateway)`, downloads, downloadFailed, seconds), cpuMsPerRequest },
      summarise('operator calls to settlement during the downloads', operatorCalls, operatorFailed, seconds),
    ];
  },
};
