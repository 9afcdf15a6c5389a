import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { EVENT_STREAM, Events, Principal, Subjects } from '@vc/contracts';
import { capByLegalEntity } from '@vc/domain';
import { eventually, rowCounts, sql, TestSystem } from '@vc/testing';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { matchingLock } from '../../../apps/settlement/src/use-cases/matching.use-case';
import { runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { newCreditCode } from '../../fixtures/credit-codes';
import { auditor, deltaOperator, operatorOf, regionAdmin } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, outboxCount, provider, setNow, SIMULATED } from './feed';

const S = Subjects.settlement;
const JS = operatorOf('JS');

/** A run of programme `programmeId`, approved whole, published and disbursed at `paidAt`. */
async function settle(sys: TestSystem, app: INestApplication, op: Principal, programmeId: string, quarter: string, publishAt: string, paidAt: string) {
  setNow(app, publishAt);
  const run = await sys.client.ok(S.runStart, { programmeId, quarter, sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
  await sys.client.ok(S.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
  await sys.client.ok(S.runPublish, { runId: run.id }, { principal: op, idempotencyKey: key() });
  setNow(app, paidAt);
  return sys.client.ok(S.runDisburse, { runId: run.id }, { principal: op });
}

jest.setTimeout(60_000);

describe('settlement: local matching (R-MATCH-1)', () => {
  let sys: TestSystem;
  let app: INestApplication;
  let half: string;
  let other: string;
  let runId: string;

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
    await feedProgramme(sys, 'JS-2026', { matchingDeadlineMonths: 3 });
    half = await feedRegion(sys, 'JS', '0.5');
    other = await feedRegion(sys, 'JS', '1.00');
    const e = enterpriseIn(half, '昆山示范精密有限公司');
    const f = enterpriseIn(other, '常州示范材料有限公司');
    const p = provider('JS');
    await feedClaims(sys, [
      claim('JS-2026', e, p, 1_234_567, '2026-08-01T10:00:00+08:00'), // V = 308,641 → × 0.5 = 154,320.5 → 154,320
      claim('JS-2026', e, p, 404, '2026-08-02T10:00:00+08:00'), //        V = 101 → 50.5 → 50
      claim('JS-2026', f, p, 400_000, '2026-08-03T10:00:00+08:00'), //     V = 100,000 → × 1.00
    ]);
    // published Fri 2026-11-20, window Nov 23–27; paid Mon 2026-11-30: due + 3 months clamps to 2027-02-28
    runId = (await settle(sys, app, JS, 'JS-2026', '2026Q3', '2026-11-20T10:00:00+08:00', '2026-11-30T10:00:00+08:00')).id;
  });
  afterAll(async () => sys?.stop());

  it('R-MATCH-1: each paid claim owes V × ratio floored to the fen, due 3 months after payment (Nov 30 → Feb 28, month end clamped)', async () => {
    const report = await sys.client.ok(S.matchingReport, {}, { principal: regionAdmin(half) });
    expect(report.obligations).toHaveLength(1);
    expect(report.obligations[0]).toMatchObject({
      runId,
      regionId: half,
      claimCount: 2,
      voucherFen: 308_742,
      matchingRatio: '0.50',
      amountFen: 154_370, // Σ floor per claim, not floor(308,742 × 0.5) = 154,371
      paidFen: 0,
      provincialPaidOn: '2026-11-30',
      dueOn: '2027-02-28',
      overdue: false,
    });
    const desk = await sys.client.ok(S.matchingReport, {}, { principal: deltaOperator });
    expect(desk.obligations.find((o: { regionId: string }) => o.regionId === other)).toMatchObject({ amountFen: 100_000, dueOn: '2027-02-28' });
  });

  it('R-MATCH-1, R-LEDGER-1: the ledger check recomputes every obligation in numeric; one fen off is reported, the true amounts pass', async () => {
    const check = async () => (await runLedgerChecks(sys.db.url)).find((r) => r.name.startsWith('matching owed'))!;
    expect((await check()).status).toBe('ok');
    await sql(sys.db.url, `UPDATE settlement.matching_obligations SET amount_fen = amount_fen + 1 WHERE region_id = $1`, [half]);
    try {
      expect(await check()).toMatchObject({ status: 'differs' });
    } finally {
      await sql(sys.db.url, `UPDATE settlement.matching_obligations SET amount_fen = amount_fen - 1 WHERE region_id = $1`, [half]);
    }
    expect((await check()).status).toBe('ok');
  });

  it('R-MATCH-1: a region admin sees and pays only its own region; never more than is owed', async () => {
    setNow(app, '2026-12-01T10:00:00+08:00');
    const [mine] = (await sys.client.ok(S.matchingReport, {}, { principal: regionAdmin(half) })).obligations;
    expect(await sys.client.call(S.matchingReport, { regionId: half }, { principal: regionAdmin(other) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const before = await rowCounts(sys.db.url, 'settlement');
    const foreign = await sys.client.call(
      S.matchingRecord,
      { items: [{ obligationId: mine.id, amountFen: 100 }], paidOn: '2026-12-01', reference: 'BANK-1' },
      { principal: regionAdmin(other), idempotencyKey: key() },
    );
    expect(foreign).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'items.0.obligationId' } });
    const over = await sys.client.call(
      S.matchingRecord,
      { items: [{ obligationId: mine.id, amountFen: 154_371 }], paidOn: '2026-12-01', reference: 'BANK-1' },
      { principal: regionAdmin(half), idempotencyKey: key() },
    );
    expect(over).toMatchObject({ ok: false, error: { code: 'MATCHING_OVERPAID', details: { outstandingFen: '154370' } } });
    expect(await sys.client.call(S.matchingRecord, { items: [{ obligationId: mine.id, amountFen: 1 }], paidOn: '2026-12-01', reference: 'x' }, { principal: JS, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await rowCounts(sys.db.url, 'settlement')).toEqual(before);
    const paid = await sys.client.ok(
      S.matchingRecord,
      { items: [{ obligationId: mine.id, amountFen: 54_370 }], paidOn: '2026-12-01', reference: 'BANK-1' },
      { principal: regionAdmin(half), idempotencyKey: key() },
    );
    expect(paid.payments[0]).toMatchObject({ amountFen: 54_370, outstandingFen: 100_000 });
    expect(await outboxCount(sys, Events.matchingRecorded, [mine.id])).toBe(1);
  });

  it('R-MATCH-1: overdue after the due date → region flagged defaulting (event for issuance); paying up → caught-up', async () => {
    setNow(app, '2027-02-28T23:59:00+08:00');
    expect((await sys.client.ok(S.matchingCheck, {}, { principal: JS })).defaulting).toEqual([]);
    setNow(app, '2027-03-01T00:00:01+08:00');
    // another province's operator checks its own province's regions only: it neither sees nor flags JS's
    const foreign = await sys.client.ok(S.matchingCheck, {}, { principal: operatorOf('SH') });
    expect(foreign).toMatchObject({ defaulting: [], caughtUp: [], regions: [] });
    expect(await outboxCount(sys, Events.regionDefaulting, [half, other])).toBe(0);
    const check = await sys.client.ok(S.matchingCheck, {}, { principal: deltaOperator });
    expect(check.defaulting.sort()).toEqual([half, other].sort());
    expect(check.regions.find((r: { regionId: string }) => r.regionId === half)).toMatchObject({ defaulting: true, overdueCount: 1, overdueFen: 100_000 });
    expect((await sys.client.ok(S.matchingCheck, {}, { principal: deltaOperator })).defaulting).toEqual([]);
    expect(await outboxCount(sys, Events.regionDefaulting, [half])).toBe(1);
    // relayed to JetStream, where issuance's consumer blocks the region's new approvals
    const jsm = await sys.client.nc.jetstreamManager();
    const relayed = await eventually(() => jsm.streams.getMessage(EVENT_STREAM, { last_by_subj: Events.regionDefaulting }).catch(() => null));
    expect(JSON.parse(new TextDecoder().decode(relayed!.data)).payload).toMatchObject({ overdueCount: 1 });
    const overdue = await sys.client.ok(S.matchingReport, { overdueOnly: true }, { principal: auditor });
    expect(overdue.obligations.map((o: { regionId: string }) => o.regionId).sort()).toEqual([half, other].sort());
    expect(overdue.regions.find((r: { regionId: string }) => r.regionId === half)).toMatchObject({ defaulting: true, overdueFen: 100_000 });

    const [mine] = (await sys.client.ok(S.matchingReport, {}, { principal: regionAdmin(half) })).obligations;
    const done = await sys.client.ok(
      S.matchingRecord,
      { items: [{ obligationId: mine.id, amountFen: 100_000 }], paidOn: '2027-03-01', reference: 'BANK-2' },
      { principal: regionAdmin(half), idempotencyKey: key() },
    );
    expect(done).toMatchObject({ caughtUp: true, region: { regionId: half, defaulting: false, overdueCount: 0 } });
    expect(await outboxCount(sys, Events.regionCaughtUp, [half])).toBe(1);
    expect(await outboxCount(sys, Events.regionCaughtUp, [other])).toBe(0);
    const [status] = await sql(sys.db.url, `SELECT defaulting FROM settlement.region_status WHERE region_id = $1`, [other]);
    expect(status.defaulting).toBe(true);
  });

  it('R-MATCH-1: a payment recorded while a check flags the region still tells issuance it caught up', async () => {
    // `other` is overdue and flagged; say the flag was cleared before a check that is now setting it again
    await sql(sys.db.url, `UPDATE settlement.region_status SET defaulting = false WHERE region_id = $1`, [other]);
    const check = new Client({ connectionString: sys.db.url });
    await check.connect();
    try {
      await check.query('BEGIN');
      await check.query(...matchingLock());
      await check.query(`UPDATE settlement.region_status SET defaulting = true WHERE region_id = $1`, [other]);
      const [owed] = (await sys.client.ok(S.matchingReport, {}, { principal: regionAdmin(other) })).obligations;
      const paying = sys.client.ok(
        S.matchingRecord,
        { items: [{ obligationId: owed.id, amountFen: owed.outstandingFen }], paidOn: '2027-03-01', reference: 'BANK-3' },
        { principal: regionAdmin(other), idempotencyKey: key(), timeoutMs: 20_000 },
      );
      // the payment waits for the check (whatever lock it waits on)
      await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM pg_locks WHERE NOT granted`)).length > 0, 10_000);
      await check.query('COMMIT');
      // the payment's refresh ran after the check: it sees the flag the check set, and clears it with its event
      expect(await paying).toMatchObject({ caughtUp: true, region: { regionId: other, defaulting: false } });
      expect(await outboxCount(sys, Events.regionCaughtUp, [other])).toBe(1);
    } finally {
      await check.end();
    }
  });
});

describe('settlement: matching due dates by programme version (R-MATCH-1)', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await TestSystem.start();
    const app = await sys.startService(settlementService, SIMULATED);
    // versions 1 and 3 give regions 3 months, version 2 gives 6
    await feedProgramme(sys, 'JS-2026', { version: 1, matchingDeadlineMonths: 3 });
    await feedProgramme(sys, 'JS-2026', { version: 2, matchingDeadlineMonths: 6, effectiveFrom: '2026-08-01T00:00:00+08:00' });
    await feedProgramme(sys, 'JS-2026', { version: 3, matchingDeadlineMonths: 3, effectiveFrom: '2026-09-01T00:00:00+08:00' });
    const e = enterpriseIn(await feedRegion(sys, 'JS', '0.5'));
    const p = provider('JS');
    await feedClaims(sys, [
      claim('JS-2026', e, p, 404, '2026-07-10T10:00:00+08:00', { programmeVersion: 1 }), //       V = 101 → 50
      claim('JS-2026', e, p, 1_234_567, '2026-08-10T10:00:00+08:00', { programmeVersion: 2 }), // V = 308,641 → 154,320
      claim('JS-2026', e, p, 404, '2026-08-11T10:00:00+08:00', { programmeVersion: 2 }), //       V = 101 → 50
      claim('JS-2026', e, p, 406, '2026-09-10T10:00:00+08:00', { programmeVersion: 3 }), //       V = 101 → 50
    ]);
    await settle(sys, app, JS, 'JS-2026', '2026Q3', '2026-11-20T10:00:00+08:00', '2026-11-30T10:00:00+08:00');
  });
  afterAll(async () => sys?.stop());

  it('R-MATCH-1: an enterprise owes one obligation per due date; claims of versions with the same deadline share it, each floored on its own', async () => {
    const rows = await sql(
      sys.db.url,
      `SELECT to_char(due_on, 'YYYY-MM-DD') AS due, claim_count::int AS n, voucher_fen::text AS v, amount_fen::text AS owed
         FROM settlement.matching_obligations ORDER BY due_on`,
    );
    expect(rows).toEqual([
      { due: '2027-02-28', n: 2, v: '202', owed: '100' }, // versions 1 and 3: Nov 30 + 3 months, clamped
      { due: '2027-05-30', n: 2, v: '308742', owed: '154370' }, // version 2: + 6 months; Σ floor, not floor(154,371)
    ]);
    expect((await runLedgerChecks(sys.db.url)).find((r) => r.name.startsWith('matching owed'))!.status).toBe('ok');
  });
});

describe('settlement: year-end performance reward (R-REWARD-1)', () => {
  let sys: TestSystem;
  let app: INestApplication;
  const X = newCreditCode();
  const Y = newCreditCode();
  const W = newCreditCode();
  // three units of legal entity X with equal rewards; unit ids fixed so the tie-break is visible
  const x1 = { ...provider('JS', '甲大学化学学院', X), id: '00000000-0000-4000-8000-00000000000a' };
  const x2 = { ...provider('JS', '甲大学物理学院', X), id: '00000000-0000-4000-8000-00000000000b' };
  const x3 = { ...provider('JS', '甲大学材料学院', X), id: '00000000-0000-4000-8000-00000000000c' };
  const y1 = provider('JS', '乙研究院一所', Y);
  const y2 = provider('JS', '乙研究院二所', Y);
  const w = provider('JS', '丙检测中心', W);
  const good = provider('JS', '丁测试中心');
  const zj = provider('ZJ', '浙江某实验室');

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
    // rewardRate 5 %, cap 100 fen per legal entity (small, so that it binds)
    await feedProgramme(sys, 'JS-2026', { rewardRateBp: 500, rewardCapFen: '100' });
    const e = enterpriseIn(await feedRegion(sys, 'JS'));
    const at = '2026-08-01T10:00:00+08:00';
    await feedClaims(sys, [
      claim('JS-2026', e, x1, 1_000_000, at), // uncapped 50,000 each for x1, x2, x3
      claim('JS-2026', e, x2, 600_000, at),
      claim('JS-2026', e, x2, 400_000, at),
      claim('JS-2026', e, x3, 1_000_000, at),
      claim('JS-2026', e, y1, 1_000_000, at), // 50,000
      claim('JS-2026', e, y2, 2_000_000, at), // 100,000
      claim('JS-2026', e, w, 1_300, at), // 65 < cap
      claim('JS-2026', e, good, 1_000_000, at),
      claim('JS-2026', e, zj, 1_000_000, at),
    ]);
    await settle(sys, app, JS, 'JS-2026', '2026Q3', '2026-10-09T10:00:00+08:00', '2026-10-16T10:00:00+08:00');
    for (const p of [x1, x2, x3, y1, y2, w]) {
      await sys.client.ok(S.rewardGrade, { programmeId: 'JS-2026', year: 2026, providerId: p.id, grade: 'excellent' }, { principal: JS, idempotencyKey: key() });
    }
    await sys.client.ok(S.rewardGrade, { programmeId: 'JS-2026', year: 2026, providerId: good.id, grade: 'good' }, { principal: JS, idempotencyKey: key() });
  });
  afterAll(async () => sys?.stop());

  it('R-REWARD-1: only its own province\'s providers are graded; only its own operator grades', async () => {
    expect(await sys.client.call(S.rewardGrade, { programmeId: 'JS-2026', year: 2026, providerId: zj.id, grade: 'excellent' }, { principal: JS, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', field: 'providerId' },
    });
    expect(await sys.client.call(S.rewardGrade, { programmeId: 'JS-2026', year: 2026, providerId: x1.id, grade: 'excellent' }, { principal: operatorOf('ZJ'), idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('R-REWARD-1: rewards are computed only after the year closes (Asia/Shanghai)', async () => {
    setNow(app, '2026-12-31T23:59:59+08:00');
    expect(await sys.client.call(S.rewardCompute, { programmeId: 'JS-2026', year: 2026 }, { principal: JS, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'YEAR_NOT_CLOSED' },
    });
  });

  it('R-REWARD-1: floor(rate × Σ A); the cap binds per legal entity across its units, largest remainder, ties by credit code then unit', async () => {
    setNow(app, '2027-01-01T00:00:00+08:00');
    const { items, totalFen } = await sys.client.ok(S.rewardCompute, { programmeId: 'JS-2026', year: 2026 }, { principal: JS, idempotencyKey: key() });
    const byId = Object.fromEntries(items.map((r: { providerId: string }) => [r.providerId, r]));
    // X: 3 × 50,000 uncapped, cap 100 → 33 each, remainders equal, the leftover fen to the first unit id
    expect([x1, x2, x3].map((p) => byId[p.id].rewardFen)).toEqual([34, 33, 33]);
    expect(byId[x2.id]).toMatchObject({ serviceTotalFen: 1_000_000, uncappedFen: 50_000, capped: true });
    // Y: 50,000 and 100,000 → 33.33 and 66.67 → 33 and 66, the leftover fen to the larger remainder
    expect([y1, y2].map((p) => byId[p.id].rewardFen)).toEqual([33, 67]);
    // W: under the cap, floor(5 % × 1,300) = 65, untouched
    expect(byId[w.id]).toMatchObject({ uncappedFen: 65, rewardFen: 65, capped: false });
    expect(byId[good.id]).toBeUndefined();
    expect(byId[zj.id]).toBeUndefined();
    expect(totalFen).toBe(100 + 100 + 65);
    // the same allocation as the domain rule, whatever order the units come in
    const domain = capByLegalEntity(
      [x3, x1, x2].map((p) => ({ unitId: p.id, creditCode: X, uncapped: 50_000n })),
      100n,
    );
    expect(Object.fromEntries(domain.map((d) => [d.unitId, Number(d.reward)]))).toEqual({ [x1.id]: 34, [x2.id]: 33, [x3.id]: 33 });
    expect((await sys.client.ok(S.rewardList, { programmeId: 'JS-2026', year: 2026 }, { principal: auditor })).items).toHaveLength(6);
    expect(await sys.client.call(S.rewardList, { programmeId: 'JS-2026', year: 2026 }, { principal: operatorOf('ZJ') })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
