import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { Events, RegionEvent, Subjects, toJson } from '@vc/contracts';
import { eventually, publishEvent, rowCounts, sql, TestSystem } from '@vc/testing';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { operatorOf } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, provider, setNow, SIMULATED } from './feed';

jest.setTimeout(90_000);

const S = Subjects.settlement;
const op = operatorOf('JS');
// long enough that a loaded machine keeps the copy fresh while heartbeats flow (every 500 ms), short for the stale case
const MAX_AGE_SECONDS = 10;

/**
 * Settlement decides with copies of issuance's programmes and regions (docs/reliability.md,
 * "Copies"): what it has not received it does not assume, and a copy nobody has vouched for lately
 * is not used.
 */
describe('settlement with its copies of issuance (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let app: INestApplication;

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, { ...SIMULATED, COPY_MAX_AGE_SECONDS: MAX_AGE_SECONDS });
    await feedProgramme(sys, 'JS-2026', { matchingDeadlineMonths: 3 });
  });
  afterAll(async () => sys?.stop());

  it('R-MATCH-1, R-PAY-1: a paid claim whose region or programme version has not arrived is not paid with an assumed ratio or deadline: COPY_MISSING, nothing written', async () => {
    const known = await feedRegion(sys, 'JS', '0.50');
    const unknownRegion = randomUUID();
    const p = provider('JS');
    const c1 = claim('JS-2026', enterpriseIn(known), p, 400_000, '2026-08-01T09:00:00+08:00');
    const c2 = claim('JS-2026', enterpriseIn(unknownRegion), p, 800_000, '2026-08-02T09:00:00+08:00');
    const c3 = claim('JS-2026', enterpriseIn(known), p, 1_200_000, '2026-08-03T09:00:00+08:00', { programmeVersion: 2 });
    await feedClaims(sys, [c1, c2, c3]);
    setNow(app, '2026-10-09T10:00:00+08:00');
    const run = await sys.client.ok(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(S.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(S.runPublish, { runId: run.id }, { principal: op, idempotencyKey: key() });
    setNow(app, '2026-10-16T09:00:00+08:00');

    const before = await rowCounts(sys.db.url, 'settlement');
    const refused = await sys.client.call(S.runDisburse, { runId: run.id }, { principal: op });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'COPY_MISSING', field: 'runId', details: { owner: 'issuance', regions: [unknownRegion], programmeVersions: [2] } },
    });
    expect(!refused.ok && refused.error.message).toContain(unknownRegion);
    expect(await rowCounts(sys.db.url, 'settlement')).toEqual(before);
    expect((await sys.client.ok(S.runGet, { runId: run.id }, { principal: op })).state).toBe('publicity');

    // Issuance's events arrive: the region (ratio 1.20) and version 2 (matching due in 6 months)
    const region: RegionEvent = { regionId: unknownRegion, province: 'JS', name: '无锡高新区', matchingRatio: '1.20', status: 'active' };
    await publishEvent(sys, Events.regionRegistered, unknownRegion, region);
    await feedProgramme(sys, 'JS-2026', { version: 2, matchingDeadlineMonths: 6 });
    await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.regions WHERE id = $1`, [unknownRegion])).length > 0);
    const done = await sys.client.ok(S.runDisburse, { runId: run.id }, { principal: op });
    expect(done.state).toBe('completed');
    const owed = await sql(
      sys.db.url,
      `SELECT region_id::text AS region, matching_ratio::text AS ratio, voucher_fen::int AS v, amount_fen::int AS owed, due_on::text AS due
         FROM settlement.matching_obligations WHERE run_id = $1 ORDER BY voucher_fen`,
      [run.id],
    );
    expect(owed).toEqual([
      { region: known, ratio: '0.500000', v: 100_000, owed: 50_000, due: '2027-01-16' },
      { region: unknownRegion, ratio: '1.200000', v: 200_000, owed: 240_000, due: '2027-01-16' },
      { region: known, ratio: '0.500000', v: 300_000, owed: 150_000, due: '2027-04-16' },
    ]);
  });

  it('R-PUB-1, R-MATCH-1: a run is not started, published or disbursed with a copy of the programmes older than the bound (COPY_STALE), and is once issuance vouches again', async () => {
    setNow(app, '2027-01-05T10:00:00+08:00');
    sys.events.stopHeartbeats(['programmes']);
    await new Promise((r) => setTimeout(r, (MAX_AGE_SECONDS + 1) * 1000));
    const start = { programmeId: 'JS-2026', quarter: '2026Q4', sampleRateBp: 0 };
    const startKey = key();
    const stale = await sys.client.call(S.runStart, start, { principal: op, idempotencyKey: startKey });
    expect(stale).toMatchObject({ ok: false, error: { code: 'COPY_STALE', field: 'programmeId', details: { copy: 'programmes', owner: 'issuance', maxAgeSeconds: MAX_AGE_SECONDS } } });
    expect(await sql(sys.db.url, `SELECT 1 FROM settlement.runs WHERE quarter = '2026Q4'`)).toEqual([]);

    // T21: a heartbeat only its owner may send: another service may not publish one (NATS refuses), and
    // one on the owner's connection but unsigned vouches for nothing
    const beat = (id: string) =>
      new TextEncoder().encode(
        toJson({ id, type: Events.programmeHeartbeat, aggregateType: 'programme', aggregateId: 'programmes', occurredAt: new Date().toISOString(), payload: { copy: 'programmes', emittedAt: new Date().toISOString() } }),
      );
    await expect(sys.events.publishRaw('redemption', Events.programmeHeartbeat, beat(randomUUID()))).rejects.toThrow(/Permissions Violation/);
    const unsigned = randomUUID();
    await sys.events.publishRaw('issuance', Events.programmeHeartbeat, beat(unsigned), { msgID: unsigned, signed: false });
    await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.quarantined_events WHERE event_id = $1`, [unsigned])).length === 1);
    await new Promise((r) => setTimeout(r, 1500)); // a refresh of the copy's freshness after them
    expect(await sys.client.call(S.runStart, start, { principal: op, idempotencyKey: startKey })).toMatchObject({ ok: false, error: { code: 'COPY_STALE' } });

    await sys.events.keepFresh(['programmes']);
    const run = await eventually(async () => {
      const r = await sys.client.call(S.runStart, start, { principal: op, idempotencyKey: startKey });
      return r.ok ? r.data : null;
    }, 20_000);
    expect(run.quarter).toBe('2026Q4');
  });
});
