import { Client } from 'pg';
import { Events } from '@vc/contracts';
import { eventually, publishEvent, sql, TestSystem } from '@vc/testing';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { collectionLock } from '../../../apps/settlement/src/sql/locks';
import { claim, enterpriseIn, feedProgramme, feedRegion, provider, SIMULATED } from './feed';

/**
 * SPEC 5.6, ADR 0007: a claim that arrives while a run of its quarter is being started is never
 * lost between the two. The run's start holds the collection lock of the programme; the projection
 * waits for it, then sees the run and files the claim for the programme's next run. (Had it filed
 * the claim under its quarter without waiting, no later run would take it.)
 */
jest.setTimeout(60_000);

describe('settlement: a claim arriving during a run start waits for it and goes to the next run', () => {
  let sys: TestSystem;
  let runner: Client;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(settlementService, SIMULATED);
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
    await publishEvent(sys, Events.claimSubmitted, late.claimId, late);
    // The projection is waiting for the lock: nothing is filed while the run's start is open.
    await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).length > 0, 20_000);
    expect(await sql(sys.db.url, `SELECT 1 FROM settlement.claims WHERE claim_id = $1`, [late.claimId])).toEqual([]);
    await runner.query('COMMIT');
    await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.claims WHERE claim_id = $1`, [late.claimId])).length > 0, 20_000);
    const [row] = await sql(sys.db.url, `SELECT run_quarter, run_id, state FROM settlement.claims WHERE claim_id = $1`, [late.claimId]);
    expect(row).toEqual({ run_quarter: null, run_id: null, state: 'pending' });
  });
});
