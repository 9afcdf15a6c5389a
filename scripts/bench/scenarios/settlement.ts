import { randomUUID } from 'node:crypto';
import { DEFAULT_SAMPLE_RATE_BP, Events, PROVIDER_PROVINCES, Role, Subjects } from '@vc/contracts';
import { consumersCaughtUp, eventually, EventPublisher, NatsTestClient, publishEvent, sql, tokenFor } from '@vc/testing';
import { LoadResult } from '../load';
import { BenchContext, Scenario } from '../scenarios';

const S = Subjects.settlement;

/**
 * The share of claims drawn for inspection: the programme default (5 %) unless BENCH_SAMPLE_BP says
 * otherwise (docs/performance.md says which of its figures were taken with 0).
 */
const SAMPLE_RATE_BP = Number(process.env.BENCH_SAMPLE_BP ?? DEFAULT_SAMPLE_RATE_BP);

/**
 * A generated quarter: N claims of one programme, from 2,000 providers across the five provider
 * provinces and 20,000 enterprises in 20 regions, written straight into settlement's claims table
 * (as its consumer would have, filed under their quarter's run), then timed from collection to
 * payment instructions and statement.
 */
function settlementScenario(claims: number, flags: Pick<Scenario, 'flag' | 'replacedBy'>): Scenario {
  return {
    name: `settlement of ${claims.toLocaleString('en')} claims`,
    ...flags,
    async run(ctx: BenchContext): Promise<LoadResult[]> {
      // The generated claims exist in settlement only (redemption is not started): the confirmation of
      // the paid set with redemption before disbursement is not part of this figure (docs/performance.md).
      await ctx.spawn('settlement', 'settlement', { CLOCK_MODE: 'simulated', SIMULATED_NOW: '2026-10-09T10:00:00+08:00', RPC_TIMEOUT_MS: '600000', CONFIRM_PAYMENTS_WITH: 'none' });
      const client = await NatsTestClient.connect(ctx.nats.url);
      const programmeId = 'JS-2026';
      const events = new EventPublisher(ctx.nats.url);
      await publishEvent({ events }, Events.programmeOpened, programmeId, {
        programmeId, province: 'JS', year: 2026, version: 1, status: 'open', offsetRateBp: 2500, annualCapFen: '10000000', budgetFen: '1000000000000',
        mode: 'provider_redeems', publicityWorkingDays: 5, matchingDeadlineMonths: 3, rewardRateBp: 500, rewardCapFen: '50000000', effectiveFrom: '2026-01-01T00:00:00Z',
      });
      await eventually(async () => (await sql(ctx.db.url, `SELECT 1 FROM settlement.programmes WHERE id = $1`, [programmeId])).length > 0, 30000);
      const regions = Array.from({ length: 20 }, () => randomUUID());
      await sql(ctx.db.url, `INSERT INTO settlement.regions (id, province, name, matching_ratio, status) SELECT r, 'JS', 'bench-' || r, 1.00, 'active' FROM unnest($1::uuid[]) r`, [regions]).catch(() => undefined);
      const seedStart = process.hrtime.bigint();
      await sql(
        ctx.db.url,
        `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id, provider_id, provider_name,
           provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at, run_quarter)
         SELECT gen_random_uuid(), gen_random_uuid(), $1, 1, 'provider_redeems', e.id, 'enterprise ' || (g % 20000), ($2::uuid[])[1 + g % 20], p.id, 'provider ' || (g % 2000),
                '9132010000000' || lpad((g % 2000)::text, 5, '0'), ($4::text[])[1 + g % $5], 'provider', p.id,
                100000 + (g % 1000) * 100, (100000 + (g % 1000) * 100) / 4, 'BENCH-' || g, s.at,
                to_char(s.at AT TIME ZONE 'Asia/Shanghai', 'YYYY"Q"Q')
           FROM generate_series(1, $3) g
           CROSS JOIN LATERAL (SELECT '2026-08-01T00:00:00+08:00'::timestamptz + (g % 5000) * interval '1 minute' AS at) s
           CROSS JOIN LATERAL (SELECT md5('p' || (g % 2000))::uuid AS id) p
           CROSS JOIN LATERAL (SELECT md5('e' || (g % 20000))::uuid AS id) e`,
        [programmeId, regions, claims, PROVIDER_PROVINCES, PROVIDER_PROVINCES.length],
      );
      await sql(ctx.db.url, 'ANALYZE settlement.claims');
      console.log(`  generated ${claims} claims in ${(Number(process.hrtime.bigint() - seedStart) / 1e9).toFixed(1)} s`);
      const ceiling = await settlementCeiling(ctx.db.url, claims);
      const floor = await settlementFloor(ctx.db.url, claims, programmeId);

      const op = { principal: { sub: 'bench-op', role: Role.ProgrammeOperator, org: 'JS', province: 'JS' as const }, timeoutMs: 600000 };
      const desk = tokenFor({ sub: 'bench-desk', role: Role.DeltaOperator, org: 'DELTA' });
      const t0 = process.hrtime.bigint();
      const run = await client.ok(S.runStart, { programmeId, quarter: '2026Q3', sampleRateBp: SAMPLE_RATE_BP }, { ...op, idempotencyKey: 'bench-start' });
      const tCollected = process.hrtime.bigint();
      const reviewed = await client.ok(S.runReview, { runId: run.id, approveAll: true }, { ...op, idempotencyKey: 'bench-review' });
      const tApproved = process.hrtime.bigint();
      // The sampled claims wait for their on-site inspection; the operator then approves them, a
      // thousand to a request (the most a review request takes). Only the requests are timed.
      await inspectionPause(client, ctx.db.url);
      const sampled = (await sql<{ id: string }>(ctx.db.url, `SELECT claim_id::text AS id FROM settlement.claims WHERE run_id = $1 AND state = 'in_review' AND sampled`, [run.id])).map((r) => r.id);
      if (sampled.length !== reviewed.sampledInReview) throw new Error(`${sampled.length} sampled claims in review, the review said ${reviewed.sampledInReview}`);
      const tInspected0 = process.hrtime.bigint();
      for (let i = 0; i < sampled.length; i += 1000) {
        const decisions = sampled.slice(i, i + 1000).map((claimId) => ({ claimId, decision: 'approve' }));
        await client.ok(S.runReview, { runId: run.id, decisions }, { ...op, idempotencyKey: `bench-inspected-${i}` });
      }
      const tReviewed = process.hrtime.bigint();
      await client.ok(S.runPublish, { runId: run.id }, { ...op, idempotencyKey: 'bench-publish' });
      const tPublished = process.hrtime.bigint();
      await client.ok('settlement.clock.set', { now: '2026-10-16T09:00:00+08:00' }, { token: desk });
      const tDisburse0 = process.hrtime.bigint();
      const done = await client.ok(S.runDisburse, { runId: run.id }, op);
      const tDone = process.hrtime.bigint();
      const statement = await client.ok(S.statementGet, { runId: run.id }, op);
      await client.close();
      if (BigInt(statement.totalFen) !== BigInt(done.instructionFen)) throw new Error('statement does not equal the instructions');
      const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
      console.log(
        `  ${claims} claims, ${sampled.length} sampled: collect ${ms(t0, tCollected).toFixed(0)} ms, approve all ${ms(tCollected, tApproved).toFixed(0)} ms, ` +
          `approve the sampled ${ms(tInspected0, tReviewed).toFixed(0)} ms (${Math.ceil(sampled.length / 1000)} requests), publish ${ms(tReviewed, tPublished).toFixed(0)} ms, ` +
          `disburse + statement ${ms(tDisburse0, tDone).toFixed(0)} ms → ${done.instructionCount} instructions, ${done.instructionFen} fen`,
      );
      const seconds = (ms(t0, tApproved) + ms(tInspected0, tPublished) + ms(tDisburse0, tDone)) / 1000;
      return [
        ceiling,
        floor,
        {
          name: `settlement: ${claims.toLocaleString('en')} claims → instructions + statement`,
          key: 'settlement',
          steps: {
            collect: ms(t0, tCollected) / 1000,
            'approve all': ms(tCollected, tApproved) / 1000,
            sampled: ms(tInspected0, tReviewed) / 1000,
            publish: ms(tReviewed, tPublished) / 1000,
            'disburse + statement': ms(tDisburse0, tDone) / 1000,
          },
          ok: claims, failed: 0, seconds, throughput: claims / seconds, p50: NaN, p99: NaN, ceiling: ceiling.throughput },
      ];
    },
  };
}

/**
 * An inspection on site takes days: by the time the operator approves the sampled claims,
 * approve-all's events (a thousand per million claims) have long been published and taken by the
 * services that follow settlement. The bench waits, untimed, until settlement's outbox is empty
 * and every durable consumer of the event stream has caught up, rather than timing the approvals
 * against the delivery of the events of a moment before. It waits at most ten minutes.
 */
async function inspectionPause(client: NatsTestClient, url: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  const quiet = async () => {
    const [{ n }] = await sql<{ n: number }>(url, `SELECT count(*)::int AS n FROM settlement.outbox WHERE published_at IS NULL`);
    return n === 0 && consumersCaughtUp(client.nc);
  };
  const done = await eventually(quiet, 600000, 200).then(() => true, () => false);
  console.log(`  inspection pause: ${done ? 'events delivered' : 'events still in flight after 10 min'} in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s (not timed)`);
}

/**
 * The settlement's own ceiling, measured on the same generated claims in the same run: the least a
 * settlement that records each claim's payment can do — one transaction of raw SQL that writes
 * every claim once (state and paid time, a HOT update like the run's own) and groups them into one
 * instruction per payee. It runs on a copy of the claims table (same columns, indexes and
 * fillfactor), dropped afterwards, so the run itself starts on the data as generated; a checkpoint
 * before each leaves neither with the other's dirty pages.
 */
async function settlementCeiling(url: string, claims: number): Promise<LoadResult> {
  const [{ reloptions }] = await sql<{ reloptions: string[] | null }>(url, `SELECT reloptions FROM pg_class WHERE oid = 'settlement.claims'::regclass`);
  await sql(
    url,
    `CREATE SCHEMA bench_ceiling;
     CREATE TABLE bench_ceiling.claims (LIKE settlement.claims INCLUDING ALL)${reloptions?.length ? ` WITH (${reloptions.join(', ')})` : ''};
     INSERT INTO bench_ceiling.claims SELECT * FROM settlement.claims;
     CREATE TABLE bench_ceiling.instructions (payee_type text, payee_id uuid, claim_count int, total_fen bigint);
     ANALYZE bench_ceiling.claims;
     CHECKPOINT;`,
  );
  const t0 = process.hrtime.bigint();
  await sql(
    url,
    `BEGIN;
     SET LOCAL work_mem = '256MB';
     UPDATE bench_ceiling.claims SET state = 'paid', paid_at = now();
     INSERT INTO bench_ceiling.instructions SELECT payee_type, payee_id, count(*), sum(voucher_fen) FROM bench_ceiling.claims GROUP BY payee_type, payee_id;
     COMMIT;`,
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await sql(url, `DROP SCHEMA bench_ceiling CASCADE; CHECKPOINT;`);
  console.log(`  settlement ceiling: every claim written once and grouped by payee in ${seconds.toFixed(1)} s`);
  return { name: 'settlement ceiling: each claim written once + GROUP BY', key: 'settlement-ceiling', ok: claims, failed: 0, seconds, throughput: claims / seconds, p50: NaN, p99: NaN, ceiling: claims / seconds };
}

/**
 * Settlement's floor (issue 31): the least any settlement can do — read the run's claims once and
 * group them into one instruction per payee, nothing written per claim. The settlement target is
 * judged against it (at most twice as long).
 */
async function settlementFloor(url: string, claims: number, programmeId: string): Promise<LoadResult> {
  const t0 = process.hrtime.bigint();
  await sql(
    url,
    `BEGIN;
     SET LOCAL work_mem = '256MB';
     CREATE TEMP TABLE floor_instructions ON COMMIT DROP AS
       SELECT payee_type, payee_id, count(*) AS claim_count, sum(voucher_fen) AS total_fen
         FROM settlement.claims WHERE programme_id = $1 AND run_quarter = '2026Q3' GROUP BY payee_type, payee_id;
     COMMIT;`.replace('$1', `'${programmeId}'`),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`  settlement floor: the run's claims read once and grouped by payee in ${seconds.toFixed(1)} s`);
  return { name: 'settlement floor: claims read once + GROUP BY', key: 'settlement-floor', ok: claims, failed: 0, seconds, throughput: claims / seconds, p50: NaN, p99: NaN, ceiling: claims / seconds };
}

/** 1 million claims by default; `--settlement-10m` settles 10 million instead. */
export const settlementQuarter = settlementScenario(Number(process.env.BENCH_SETTLEMENT_CLAIMS ?? (process.argv.includes('--quick') ? 100_000 : 1_000_000)), { replacedBy: '--settlement-10m' });
export const settlementQuarter10m = settlementScenario(10_000_000, { flag: '--settlement-10m' });
