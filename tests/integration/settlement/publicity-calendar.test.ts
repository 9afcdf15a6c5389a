import { INestApplication } from '@nestjs/common';
import { Principal, Subjects } from '@vc/contracts';
import { rowCounts, TestSystem } from '@vc/testing';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { operatorOf } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, provider, Province, setNow, SIMULATED } from './feed';

const S = Subjects.settlement;

/**
 * R-PUB-1 on the loaded calendar (State Council schedule, make-up working days included): the window
 * is the first N working days after the publication date and closes at 24:00 Asia/Shanghai of the
 * last one; a year without calendar data is refused, never guessed.
 */
jest.setTimeout(60_000);

describe('settlement: publicity windows across holidays and make-up days (R-PUB-1)', () => {
  let sys: TestSystem;
  let app: INestApplication;

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
  });
  afterAll(async () => sys?.stop());

  async function reviewedRun(programmeId: string, quarter: string, submittedAt: string, startAt: string, days = 5): Promise<{ runId: string; op: Principal; claimId: string }> {
    const province = programmeId.slice(0, 2) as Province;
    await feedProgramme(sys, programmeId, { publicityWorkingDays: days });
    const region = await feedRegion(sys, province);
    const c = claim(programmeId, enterpriseIn(region), provider(province), 400_000, submittedAt);
    await feedClaims(sys, [c]);
    const op = operatorOf(province);
    setNow(app, startAt);
    const run = await sys.client.ok(S.runStart, { programmeId, quarter, sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(S.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
    return { runId: run.id, op, claimId: c.claimId };
  }

  const object = (runId: string, claimId: string) =>
    sys.client.call(S.objectionFile, { runId, claimId, objectorName: '赵六', objectorContact: 'zhao@example.com', reason: '重复申报' }, { idempotencyKey: key('pub') });

  it('R-PUB-1: published Thu 2026-02-12 → Feb 13, Sat Feb 14 (make-up), Spring Festival skipped, Feb 24, 25, 26; closes 24:00 Feb 26', async () => {
    const { runId, op, claimId } = await reviewedRun('JS-2025', '2025Q4', '2025-12-20T10:00:00+08:00', '2026-02-12T09:00:00+08:00');
    const run = await sys.client.ok(S.runPublish, { runId }, { principal: op, idempotencyKey: key() });
    expect(run.publication).toEqual({ publishedOn: '2026-02-12', firstDay: '2026-02-13', lastDay: '2026-02-26', closesAt: '2026-02-26T16:00:00.000Z', workingDays: 5, calendar: [{ year: 2026, version: 1 }] });

    setNow(app, '2026-02-26T23:59:59+08:00');
    expect(await object(runId, claimId)).toMatchObject({ ok: true });
    setNow(app, '2026-02-27T00:00:00+08:00');
    expect(await object(runId, claimId)).toMatchObject({ ok: false, error: { code: 'PUBLICITY_CLOSED' } });
  });

  it('R-PUB-1: published Wed 2026-09-30 → National Day holidays Oct 1–7 skipped → Oct 8, 9, Sat Oct 10 (make-up), 12, 13', async () => {
    const { runId, op } = await reviewedRun('AH-2026', '2026Q2', '2026-06-10T10:00:00+08:00', '2026-09-30T15:00:00+08:00');
    const run = await sys.client.ok(S.runPublish, { runId }, { principal: op, idempotencyKey: key() });
    expect(run.publication).toMatchObject({ publishedOn: '2026-09-30', firstDay: '2026-10-08', lastDay: '2026-10-13', closesAt: '2026-10-13T16:00:00.000Z' });
    setNow(app, '2026-10-13T23:00:00+08:00');
    expect(await sys.client.call(S.runDisburse, { runId }, { principal: op })).toMatchObject({ ok: false, error: { code: 'PUBLICITY_OPEN', details: { closesAt: '2026-10-13T16:00:00.000Z' } } });
    setNow(app, '2026-10-14T00:00:00+08:00');
    expect((await sys.client.ok(S.runDisburse, { runId }, { principal: op })).state).toBe('completed');
  });

  it('R-PUB-1: published Thu 2026-04-30 → Labour Day May 1–5 skipped → May 6, 7, 8, Sat May 9 (make-up), Mon May 11; a 3-day programme closes May 8', async () => {
    const five = await reviewedRun('SH-2026', '2026Q1', '2026-03-10T10:00:00+08:00', '2026-04-30T08:00:00+08:00');
    expect((await sys.client.ok(S.runPublish, { runId: five.runId }, { principal: five.op, idempotencyKey: key() })).publication).toMatchObject({
      firstDay: '2026-05-06',
      lastDay: '2026-05-11',
    });
    const three = await reviewedRun('ZJ-2026', '2026Q1', '2026-03-10T10:00:00+08:00', '2026-04-30T08:00:00+08:00', 3);
    expect((await sys.client.ok(S.runPublish, { runId: three.runId }, { principal: three.op, idempotencyKey: key() })).publication).toMatchObject({
      firstDay: '2026-05-06',
      lastDay: '2026-05-08',
      workingDays: 3,
      closesAt: '2026-05-08T16:00:00.000Z',
    });
  });

  it('R-PUB-1: a window that needs a year without calendar data (2027) is refused with CALENDAR_YEAR_MISSING and nothing is written', async () => {
    const { runId, op } = await reviewedRun('SH-2025', '2026Q3', '2026-09-10T10:00:00+08:00', '2026-12-28T10:00:00+08:00');
    const before = await rowCounts(sys.db.url, 'settlement');
    const reply = await sys.client.call(S.runPublish, { runId }, { principal: op, idempotencyKey: key() });
    expect(reply).toMatchObject({ ok: false, error: { code: 'CALENDAR_YEAR_MISSING', details: { year: 2027 } } });
    expect(await rowCounts(sys.db.url, 'settlement')).toEqual(before);
    expect((await sys.client.ok(S.runGet, { runId }, { principal: op })).state).toBe('review');
  });
});
