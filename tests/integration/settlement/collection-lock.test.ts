import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { Events, Subjects } from '@vc/contracts';
import { seededSample } from '@vc/domain';
import { eventually, publishEvent, sql, TestSystem } from '@vc/testing';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { collectionLock } from '../../../apps/settlement/src/settlement.sql';
import { RunsUseCase } from '../../../apps/settlement/src/use-cases/runs.use-case';
import { operatorOf } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, provider, setNow, SIMULATED } from './feed';

/**
 * SPEC 5.6, ADR 0007: a claim that arrives while a run of its quarter is being started is never
 * lost between the two. The run's start holds the collection lock of the programme; the projection
 * waits for it, then sees the run and files the claim for the programme's next run. (Had it filed
 * the claim under its quarter without waiting, no later run would take it.)
 */
jest.setTimeout(60_000);

describe('settlement: a claim arriving during a run start waits for it and goes to the next run', () => {
  let sys: TestSystem;
  let app: INestApplication;
  let runner: Client;

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
    await feedProgramme(sys, 'AH-2026');
    runner = new Client({ connectionString: sys.db.url });
    await runner.connect();
  });
  afterAll(async () => {
    await runner?.end();
    await sys?.stop();
  });

  it('the projection files it only after the run commits, and then for the next run', async () => {
    const region = await feedRegion(sys, 'AH');
    const late = claim('AH-2026', enterpriseIn(region), provider('AH'), 500_000, '2026-09-20T09:00:00+08:00');
    // A run start in progress: the exclusive collection lock and the run row, not yet committed.
    await runner.query('BEGIN');
    await runner.query(...collectionLock('AH-2026', 'exclusive'));
    await runner.query(
      `INSERT INTO settlement.runs (programme_id, province, quarter, quarter_end, state, seed, sample_rate_bp, created_by)
       VALUES ('AH-2026', 'AH', '2026Q3', '2026-10-01T00:00:00+08:00', 'review', 'seed', 0, 'op')`,
    );
    await publishEvent(sys.client.nc, Events.claimSubmitted, late.claimId, late);
    // The projection is waiting for the lock: nothing is filed while the run's start is open.
    await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).length > 0, 20_000);
    expect(await sql(sys.db.url, `SELECT 1 FROM settlement.claims WHERE claim_id = $1`, [late.claimId])).toEqual([]);
    await runner.query('COMMIT');
    await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.claims WHERE claim_id = $1`, [late.claimId])).length > 0, 20_000);
    const [row] = await sql(sys.db.url, `SELECT run_quarter, run_id, state FROM settlement.claims WHERE claim_id = $1`, [late.claimId]);
    expect(row).toEqual({ run_quarter: null, run_id: null, state: 'pending' });
  });

  it('SPEC 5.6 step 1: a claim that becomes collectable between the sample\'s count and the collection is collected, and the sample is drawn again from what was collected', async () => {
    await feedProgramme(sys, 'SH-2026');
    const region = await feedRegion(sys, 'SH');
    const claims = Array.from({ length: 5 }, (_, i) => claim('SH-2026', enterpriseIn(region), provider('SH'), 400_000 + i, '2026-08-10T09:00:00+08:00'));
    await feedClaims(sys, claims);
    const extra = randomUUID();
    const runs = app.get(RunsUseCase);
    // Five counted, so a 20 % sample is one claim; a sixth arrives before the collection, so it must be two.
    runs.afterSampleCounted = async () => {
      await sql(
        sys.db.url,
        `INSERT INTO settlement.claims
         SELECT (jsonb_populate_record(c, jsonb_build_object('claim_id', $2::uuid, 'order_id', gen_random_uuid(), 'invoice_number', 'INV-' || $2))).*
           FROM settlement.claims c WHERE claim_id = $1`,
        [claims[0].claimId, extra],
      );
    };
    try {
      setNow(app, '2026-10-09T10:00:00+08:00');
      const seed = 'fedcba9876543210';
      const run = await sys.client.ok(Subjects.settlement.runStart, { programmeId: 'SH-2026', quarter: '2026Q3', sampleRateBp: 2000, seed }, { principal: operatorOf('SH'), idempotencyKey: key() });
      expect(run.collectedCount).toBe(6);
      const rows = await sql(sys.db.url, `SELECT claim_id::text AS id, sampled FROM settlement.claims WHERE run_id = $1`, [run.id]);
      const ids = [...claims.map((c) => c.claimId), extra];
      expect(rows.map((r) => r.id).sort()).toEqual([...ids].sort());
      expect(rows.filter((r) => r.sampled).map((r) => r.id).sort()).toEqual(seededSample(ids, (id) => id, seed, { num: 2000, den: 10000 }));
      expect((await sql(sys.db.url, `SELECT sampled_in_review_count AS n FROM settlement.runs WHERE id = $1`, [run.id]))[0].n).toBe(2);
    } finally {
      runs.afterSampleCounted = null;
    }
  });
});
