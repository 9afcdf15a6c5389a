import { INestApplication } from '@nestjs/common';
import { Events, Subjects } from '@vc/contracts';
import { seededSample } from '@vc/domain';
import { publishEvent, rowCounts, sql, TestSystem, eventually } from '@vc/testing';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { noticeData } from '../../../apps/settlement/src/outputs/sources';
import { RecountRunUseCase } from '../../../apps/settlement/src/use-cases/recount-run.use-case';
import { auditor, deltaOperator, operatorOf, regionAdmin } from '../../fixtures/principals';
import { runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, claimEventCount, outboxCount, provider, setNow, SIMULATED } from './feed';

const S = Subjects.settlement;
const JS = operatorOf('JS');
const ZJ = operatorOf('ZJ');

/**
 * A quarterly run end to end over NATS (real PostgreSQL + JetStream), on a simulated business clock:
 * collection by the quarter's end (Asia/Shanghai), seeded sample, review, publicity with public
 * objections, disbursement and the cross-province statement.
 */
jest.setTimeout(60_000);

describe('settlement: quarterly run (SPEC 5.6, 5.7)', () => {
  let sys: TestSystem;
  let app: INestApplication;
  const pJS = provider('JS', '东南大学材料学院');
  const pZJ = provider('ZJ', '浙江大学分析测试中心');
  const pOther = provider('OTHER', '北京某检测所');
  let region: string;
  let runId: string;
  let e1: ReturnType<typeof enterpriseIn>;
  const objections: Record<string, string> = {};
  const c: Record<string, ReturnType<typeof claim>> = {};

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
    await feedProgramme(sys, 'JS-2026');
    await feedProgramme(sys, 'ZJ-2026');
    region = await feedRegion(sys, 'JS');
    e1 = enterpriseIn(region, '苏州示范光电科技有限公司');
    const e2 = enterpriseIn(region, '无锡新材料科技有限公司');
    c.early = claim('JS-2026', e1, pJS, 1_234_567, '2026-08-15T10:00:00+08:00');
    c.lastSecond = claim('JS-2026', e1, pZJ, 400_000, '2026-09-30T23:59:59+08:00');
    c.nextQuarter = claim('JS-2026', e2, pZJ, 800_000, '2026-10-01T00:00:00+08:00');
    c.reject = claim('JS-2026', e2, pJS, 200_000, '2026-09-01T09:00:00+08:00');
    c.ret = claim('JS-2026', e2, pJS, 300_000, '2026-09-02T09:00:00+08:00');
    c.upheld = claim('JS-2026', e2, pOther, 500_000, '2026-09-03T09:00:00+08:00');
    c.dismissed = claim('JS-2026', e1, pOther, 600_000, '2026-09-04T09:00:00+08:00');
    c.stillOpen = claim('JS-2026', e1, pZJ, 700_000, '2026-09-05T09:00:00+08:00');
    c.flagged = claim('JS-2026', e2, pZJ, 900_000, '2026-09-06T09:00:00+08:00');
    for (let i = 0; i < 12; i++) c[`bulk${i}`] = claim('JS-2026', i % 2 ? e1 : e2, [pJS, pZJ, pOther][i % 3], 100_000 + i * 1_001, '2026-07-10T09:00:00+08:00');
    c.zj = claim('ZJ-2026', e1, pJS, 1_000_000, '2026-08-01T09:00:00+08:00');
    await feedClaims(sys, Object.values(c));
    // R-CLAIM-2: redemption flagged a second claim with the same invoice: this one goes to inspection.
    await publishEvent(sys, Events.claimFlagged, c.flagged.orderId, {
      flagId: '00000000-0000-4000-8000-00000000f1a6',
      invoiceNumber: c.flagged.invoiceNumber,
      orderId: '00000000-0000-4000-8000-000000000001',
      programmeId: 'ZJ-2026',
      enterpriseId: c.flagged.enterpriseId,
      providerId: c.flagged.providerId,
      existingClaimId: c.flagged.claimId,
      existingOrderId: c.flagged.orderId,
      existingProgrammeId: 'JS-2026',
      flaggedAt: '2026-09-07T10:00:00+08:00',
    });
    await eventually(async () => (await sql(sys.db.url, `SELECT flagged FROM settlement.claims WHERE claim_id = $1`, [c.flagged.claimId]))[0]?.flagged);
  });
  afterAll(async () => sys?.stop());

  const takenBy = async (id: string) => (await sql(sys.db.url, `SELECT claim_id::text AS id FROM settlement.claims WHERE run_id = $1`, [id])).map((r) => r.id).sort();
  const inRun = () => Object.entries(c).filter(([name]) => name !== 'nextQuarter' && name !== 'zj').map(([, x]) => x);
  /** The runs whose counters (migrations 1764000000406, 1764000000407) differ from a fresh count of their claims (R-LEDGER-1). */
  const counterDifferences = async () =>
    (await runLedgerChecks(sys.db.url)).filter((r) => r.name.startsWith('run review counters') || r.name.startsWith('run state counters')).flatMap((r) => r.differences);
  const fenOf = (xs: Array<ReturnType<typeof claim>>) => xs.reduce((s, x) => s + Number(x.voucherFen), 0);

  it('a run starts only after the quarter ends (Asia/Shanghai)', async () => {
    setNow(app, '2026-09-30T23:59:00+08:00');
    const early = await sys.client.call(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q3' }, { principal: JS, idempotencyKey: key() });
    expect(early).toMatchObject({ ok: false, error: { code: 'QUARTER_NOT_ENDED', field: 'quarter' } });
  });

  it('cross-tenant: an operator of ZJ cannot run a JS programme; other roles cannot run at all', async () => {
    setNow(app, '2026-10-09T10:00:00+08:00');
    const before = await rowCounts(sys.db.url, 'settlement');
    expect(await sys.client.call(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q3' }, { principal: ZJ, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', field: 'programmeId' },
    });
    for (const p of [deltaOperator, auditor, regionAdmin(region)]) {
      expect(await sys.client.call(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q3' }, { principal: p, idempotencyKey: key() })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    }
    expect(await rowCounts(sys.db.url, 'settlement')).toEqual(before);
  });

  it('collects every claim submitted by the quarter end, and the stored seed reproduces the inspection sample', async () => {
    setNow(app, '2026-10-09T10:00:00+08:00');
    const seed = '0123456789abcdef0123456789abcdef';
    const run = await sys.client.ok(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 2000, seed }, { principal: JS, idempotencyKey: key() });
    runId = run.id;
    expect(run).toMatchObject({ state: 'review', seed, sampleRateBp: 2000, collectedCount: inRun().length });
    expect(run.counts).toEqual({ in_review: inRun().length });
    expect((await sys.client.ok(S.runGet, { runId: run.id }, { principal: JS })).counts).toEqual(run.counts);
    expect(run.collectedFen).toBe(inRun().reduce((s, x) => s + Number(x.voucherFen), 0));

    const collected = await sql(sys.db.url, `SELECT claim_id::text AS id, sampled FROM settlement.claims WHERE run_id = $1`, [runId]);
    expect(collected.map((r) => r.id).sort()).toEqual(inRun().map((x) => x.claimId).sort());
    const sampled = collected.filter((r) => r.sampled).map((r) => r.id).sort();
    const expected = seededSample(inRun().map((x) => x.claimId), (id) => id, seed, { num: 2000, den: 10000 });
    expect(sampled).toEqual(expected);
    expect(sampled).toHaveLength(Math.ceil(inRun().length * 0.2));

    const again = await sys.client.call(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q3' }, { principal: JS, idempotencyKey: key() });
    expect(again).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', details: { runId } } });
    expect(await outboxCount(sys, Events.settlementRunStarted, [runId])).toBe(1);
  });

  it('review: reject with a reason (claim-rejected returns V), return for amendment, approve-all except sampled and flagged', async () => {
    expect(await sys.client.call(S.runPublish, { runId }, { principal: JS, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'REVIEW_INCOMPLETE' },
    });
    const noReason = await sys.client.call(S.runReview, { runId, decisions: [{ claimId: c.reject.claimId, decision: 'reject' }] }, { principal: JS, idempotencyKey: key() });
    expect(noReason).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'decisions.0.reason' } });
    const foreign = await sys.client.call(S.runReview, { runId, approveAll: true }, { principal: ZJ, idempotencyKey: key() });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'runId' } });
    const notInRun = await sys.client.call(
      S.runReview,
      { runId, decisions: [{ claimId: c.reject.claimId, decision: 'reject', reason: '发票与合同不符' }, { claimId: c.nextQuarter.claimId, decision: 'approve' }] },
      { principal: JS, idempotencyKey: key() },
    );
    expect(notInRun).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'decisions.1.claimId' } });
    expect(await claimEventCount(sys, Events.settlementClaimRejected)).toBe(0);

    const reviewed = await sys.client.ok(
      S.runReview,
      {
        runId,
        decisions: [
          { claimId: c.reject.claimId, decision: 'reject', reason: '发票与合同不符' },
          { claimId: c.ret.claimId, decision: 'return', reason: '请补充银行回单' },
        ],
        approveAll: true,
      },
      { principal: JS, idempotencyKey: key() },
    );
    const sampledOrFlagged = await sql(sys.db.url, `SELECT claim_id::text AS id, sampled FROM settlement.claims_current WHERE run_id = $1 AND state = 'in_review'`, [runId]);
    expect(sampledOrFlagged.map((r) => r.id)).toContain(c.flagged.claimId);
    // what is left in review comes from the run's counters; a fresh count agrees
    expect(reviewed).toMatchObject({ rejected: 1, returned: 1, inReview: sampledOrFlagged.length, sampledInReview: sampledOrFlagged.filter((r) => r.sampled).length });
    expect(sampledOrFlagged.filter((r) => r.sampled).length).toBeGreaterThan(0);
    expect(await counterDifferences()).toEqual([]);
    const [rejected] = await sql(sys.db.url, `SELECT envelope FROM settlement.outbox WHERE subject = $1`, [Events.settlementClaimRejected]);
    expect(rejected.envelope).toMatchObject({
      type: Events.settlementClaimRejected,
      aggregateType: 'run',
      aggregateId: runId,
      payload: { programmeId: 'JS-2026', runId, claimIds: [c.reject.claimId], orderIds: [c.reject.orderId], voucherFen: [String(c.reject.voucherFen)], reasons: ['发票与合同不符'] },
    });
    expect(await claimEventCount(sys, Events.settlementClaimReturned, [c.ret.claimId])).toBe(1);
    // Approval, like payment, is taken by the whole run at once: its events name the claims alone.
    const approvedEvents = await sql(sys.db.url, `SELECT envelope->'payload' AS payload FROM settlement.outbox WHERE subject = $1`, [Events.settlementClaimApproved]);
    expect(approvedEvents.length).toBeGreaterThan(0);
    for (const { payload } of approvedEvents) expect(Object.keys(payload).sort()).toEqual(['claimIds', 'programmeId', 'runId']);

    // Approve-all is recorded on the run (ADR 0008): the claims it approved read as approved, decided
    // when it ran, though their rows were not rewritten; a second approve-all approves nothing.
    const byRun = inRun().filter((x) => x !== c.reject && x !== c.ret && !sampledOrFlagged.some((r) => r.id === x.claimId));
    const approvedNow = await sys.client.ok(S.claimList, { runId, state: 'approved', limit: 1000 }, { principal: JS });
    expect(approvedNow.items.map((x: { claimId: string }) => x.claimId).sort()).toEqual(byRun.map((x) => x.claimId).sort());
    expect(reviewed.approved).toBe(byRun.length);
    expect(await claimEventCount(sys, Events.settlementClaimApproved, byRun.map((x) => x.claimId))).toBe(byRun.length);
    const [{ approved_at: approvedAt }] = await sql(sys.db.url, `SELECT approved_at FROM settlement.runs WHERE id = $1`, [runId]);
    const ids = byRun.map((x) => x.claimId);
    expect(await sql(sys.db.url, `SELECT DISTINCT state, decided_at FROM settlement.claims_current WHERE claim_id = ANY($1::uuid[])`, [ids])).toEqual([{ state: 'approved', decided_at: approvedAt }]);
    expect(await sql(sys.db.url, `SELECT DISTINCT state, decided_at FROM settlement.claims WHERE claim_id = ANY($1::uuid[])`, [ids])).toEqual([{ state: 'in_review', decided_at: null }]);
    expect(await sys.client.ok(S.runReview, { runId, approveAll: true }, { principal: JS, idempotencyKey: key() })).toMatchObject({ approved: 0, inReview: sampledOrFlagged.length });
    // such a claim is decided already: it cannot be rejected one by one
    const decidedAgain = await sys.client.call(S.runReview, { runId, decisions: [{ claimId: ids[0], decision: 'reject', reason: '发票与合同不符' }] }, { principal: JS, idempotencyKey: key() });
    expect(decidedAgain).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE', field: 'decisions.0.claimId', details: { state: 'approved' } } });
    // R-CLAIM-3: an amendment arriving now is past review and changes nothing
    const lateAmendment = await publishEvent(sys, Events.claimAmended, ids[1], { ...byRun[1], amountFen: 999_996, voucherFen: 249_999 });
    await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.processed_events WHERE event_id = $1`, [lateAmendment])).length > 0);
    expect(await sql(sys.db.url, `SELECT state, voucher_fen::int AS v, revision FROM settlement.claims_current WHERE claim_id = $1`, [ids[1]])).toEqual([
      { state: 'approved', v: byRun[1].voucherFen, revision: 1 },
    ]);
    // R-CLAIM-2: a flag arriving now does not make it an exception: its approval is written onto it first
    await publishEvent(sys, Events.claimFlagged, byRun[2].orderId, {
      flagId: '00000000-0000-4000-8000-00000000f1a7',
      invoiceNumber: byRun[2].invoiceNumber,
      orderId: '00000000-0000-4000-8000-000000000002',
      programmeId: 'ZJ-2026',
      enterpriseId: byRun[2].enterpriseId,
      providerId: byRun[2].providerId,
      existingClaimId: ids[2],
      existingOrderId: byRun[2].orderId,
      existingProgrammeId: 'JS-2026',
      flaggedAt: '2026-10-09T11:00:00+08:00',
    });
    await eventually(async () => (await sql(sys.db.url, `SELECT flagged FROM settlement.claims WHERE claim_id = $1`, [ids[2]]))[0].flagged);
    expect(await sql(sys.db.url, `SELECT state, decided_at FROM settlement.claims WHERE claim_id = $1`, [ids[2]])).toEqual([{ state: 'approved', decided_at: approvedAt }]);
    expect(await counterDifferences()).toEqual([]);

    // Sampled and flagged claims: decided one by one after inspection.
    const rest = sampledOrFlagged.map((r) => ({ claimId: r.id, decision: 'approve' }));
    const done = await sys.client.ok(S.runReview, { runId, decisions: rest }, { principal: JS, idempotencyKey: key() });
    expect(done).toMatchObject({ approved: rest.length, inReview: 0, sampledInReview: 0 });
    expect(await counterDifferences()).toEqual([]);
    const twice = await sys.client.call(S.runReview, { runId, decisions: [rest[0]] }, { principal: JS, idempotencyKey: key() });
    expect(twice).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE', field: 'decisions.0.claimId' } });
  });

  it('R-LEDGER-1: a run whose counters differ from its claims is not published; the ledger check names it and a recount mends it', async () => {
    expect(await counterDifferences()).toEqual([]);
    // a step that moved claims without the counters, as an instance of a former version would
    await sql(sys.db.url, `UPDATE settlement.runs SET approved_count = approved_count + 1, held_fen = held_fen + 5 WHERE id = $1`, [runId]);
    expect(await counterDifferences()).toEqual([expect.objectContaining({ run: runId })]);
    const refused = await sys.client.call(S.runPublish, { runId }, { principal: JS, idempotencyKey: key() });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'RUN_COUNTERS_DIFFER', field: 'runId', details: { runId, differences: [`approved_count: ${inRun().length - 1} ≠ ${inRun().length - 2}`, 'held_fen: 5 ≠ 0'] } },
    });
    expect((await sys.client.ok(S.runGet, { runId }, { principal: JS })).state).toBe('review');

    const recount = app.get(RecountRunUseCase);
    await expect(recount.execute(ZJ, { runId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const mended = await recount.execute(JS, { runId });
    expect(mended.changed).toEqual({ approved_count: { was: String(inRun().length - 1), now: String(inRun().length - 2) }, held_fen: { was: '5', now: '0' } });
    expect(mended.run.counts).toEqual({ approved: inRun().length - 2, rejected: 1, returned: 1 });
    expect(await counterDifferences()).toEqual([]);
    expect((await recount.execute(JS, { runId })).changed).toEqual({});
  });

  it('R-PUB-1: published Fri 2026-10-09, the window is Sat 10 (make-up day), 12, 13, 14, 15 and closes at 24:00 of Oct 15', async () => {
    const run = await sys.client.ok(S.runPublish, { runId }, { principal: JS, idempotencyKey: key() });
    expect(run.state).toBe('publicity');
    // the counts the publication returns are the run's claims as a fresh read counts them (in the run and sent back)
    const read = await sys.client.ok(S.runGet, { runId }, { principal: JS });
    expect(run.counts).toEqual(read.counts);
    expect(read.counts).toEqual({ approved: inRun().length - 2, rejected: 1, returned: 1 });
    expect(run.publication).toEqual({
      publishedOn: '2026-10-09',
      firstDay: '2026-10-10',
      lastDay: '2026-10-15',
      closesAt: '2026-10-15T16:00:00.000Z',
      workingDays: 5,
      calendar: [{ year: 2026, version: 1 }],
    });
    // the public list, no token: enterprises included
    const list = await sys.client.ok(S.publicityList, { runId });
    const listed = inRun().filter((x) => x !== c.reject && x !== c.ret);
    expect(list.runs[0]).toMatchObject({ runId, open: true, programmeId: 'JS-2026', quarter: '2026Q3', claimCount: listed.length, voucherFen: fenOf(listed) });
    // the PDF notice gives the same size and V of the list (from the run's counters)
    const notice = await noticeData((text, params) => sql(sys.db.url, text, params), runId);
    expect(notice).toMatchObject({ claimCount: listed.length, voucherFen: BigInt(fenOf(listed)) });
    expect(list.items.map((i: { claimId: string }) => i.claimId)).toContain(c.early.claimId);
    expect(list.items.find((i: { claimId: string }) => i.claimId === c.early.claimId)).toMatchObject({ enterpriseName: '苏州示范光电科技有限公司', voucherFen: 308641 });
    expect(list.items.map((i: { claimId: string }) => i.claimId)).not.toContain(c.reject.claimId);
    const open = await sys.client.ok(S.publicityList, {});
    expect(open.runs.map((r: { runId: string }) => r.runId)).toContain(runId);
  });

  it('R-PUB-1: anyone (no account) may object during the window; the claim is held out of payment', async () => {
    setNow(app, '2026-10-12T09:30:00+08:00');
    // each of the three claims gets two objections: the second finds the claim held already
    for (const [name, objector, contact] of ['upheld', 'dismissed', 'stillOpen'].flatMap((n) => [[n, '张三', '13800000000'], [`${n}2`, '赵六', 'zhao.liu@example.com']])) {
      const o = await sys.client.ok(
        S.objectionFile,
        { runId, claimId: c[name.replace(/2$/, '')].claimId, objectorName: objector, objectorContact: contact, reason: '该服务未实际发生' },
        { idempotencyKey: key('pub') },
      );
      expect(o).toMatchObject({ status: 'open', objectorName: objector, objectorContact: contact });
      objections[name] = o.id;
    }
    expect((await sys.client.ok(S.runGet, { runId }, { principal: JS })).counts).toMatchObject({ approved: inRun().length - 5, held: 3 });
    expect(await counterDifferences()).toEqual([]);
    const [who] = await sql(sys.db.url, `SELECT objector_principal FROM settlement.objections WHERE id = $1`, [objections.upheld]);
    expect(who.objector_principal).toBeNull();
    const list = await sys.client.ok(S.publicityList, { runId });
    expect(list.items.find((i: { claimId: string }) => i.claimId === c.upheld.claimId).held).toBe(true);
    const notListed = await sys.client.call(
      S.objectionFile,
      { runId, claimId: c.reject.claimId, objectorName: '李四', objectorContact: 'li@example.com', reason: 'x' },
      { idempotencyKey: key('pub') },
    );
    expect(notListed).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'claimId' } });

    setNow(app, '2026-10-15T23:59:59+08:00');
    expect(await sys.client.call(S.runDisburse, { runId }, { principal: JS })).toMatchObject({ ok: false, error: { code: 'PUBLICITY_OPEN' } });
    setNow(app, '2026-10-16T00:00:00+08:00');
    const late = await sys.client.call(
      S.objectionFile,
      { runId, claimId: c.early.claimId, objectorName: '王五', objectorContact: '13900000000', reason: 'late' },
      { idempotencyKey: key('pub') },
    );
    expect(late).toMatchObject({ ok: false, error: { code: 'PUBLICITY_CLOSED' } });

    // upheld → rejected (V back through claim-rejected); dismissed → next run
    expect(await sys.client.call(S.objectionDecide, { objectionId: objections.upheld, decision: 'uphold', reason: 'x' }, { principal: ZJ, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    // two decisions on one claim at once: the run's row orders them (no deadlock); an upheld
    // objection supersedes the other, which is then refused if it comes second
    const [dismissedFirst, upheld] = await Promise.all([
      sys.client.call(S.objectionDecide, { objectionId: objections.upheld2, decision: 'dismiss', reason: '证据不足' }, { principal: JS, idempotencyKey: key() }),
      sys.client.call(S.objectionDecide, { objectionId: objections.upheld, decision: 'uphold', reason: '经核查服务未发生' }, { principal: JS, idempotencyKey: key() }),
    ]);
    expect(upheld).toMatchObject({ ok: true, data: { status: 'upheld' } });
    expect([true, 'ILLEGAL_STATE']).toContain(dismissedFirst.ok || dismissedFirst.error.code);
    const [superseded] = await sql(sys.db.url, `SELECT status FROM settlement.objections WHERE id = $1`, [objections.upheld2]);
    expect(superseded.status).toBe(dismissedFirst.ok ? 'dismissed' : 'superseded');
    // dismissed while another objection is still open: the claim stays held
    await sys.client.ok(S.objectionDecide, { objectionId: objections.dismissed, decision: 'dismiss', reason: '经核查服务真实' }, { principal: JS, idempotencyKey: key() });
    expect((await sql(sys.db.url, `SELECT state FROM settlement.claims WHERE claim_id = $1`, [c.dismissed.claimId]))[0].state).toBe('held');
    expect(await counterDifferences()).toEqual([]);
    await sys.client.ok(S.objectionDecide, { objectionId: objections.dismissed2, decision: 'dismiss', reason: '经核查服务真实' }, { principal: JS, idempotencyKey: key() });
    const states = await sql(sys.db.url, `SELECT claim_id::text AS id, state, run_id FROM settlement.claims WHERE claim_id = ANY($1::uuid[])`, [
      [c.upheld.claimId, c.dismissed.claimId, c.stillOpen.claimId],
    ]);
    const byId = Object.fromEntries(states.map((s) => [s.id, s]));
    expect(byId[c.upheld.claimId].state).toBe('rejected');
    expect(byId[c.dismissed.claimId]).toMatchObject({ state: 'deferred', run_id: null });
    expect(byId[c.stillOpen.claimId].state).toBe('held');
    expect(await claimEventCount(sys, Events.settlementClaimRejected, [c.upheld.claimId])).toBe(1);
    // the run's counters moved with its claims: the held one is still listed, the deferred one left the run
    expect((await sys.client.ok(S.runGet, { runId }, { principal: JS })).counts).toEqual({ approved: inRun().length - 5, held: 1, rejected: 2, returned: 1, deferred: 1 });
    expect((await sys.client.ok(S.publicityList, { runId })).runs[0].claimCount).toBe(inRun().length - 4);
    expect(await counterDifferences()).toEqual([]);
  });

  it('R-PAY-1 / R-CLEAR-1: one instruction per payee summing V of approved, unobjected claims; the statement equals the instructions to the fen', async () => {
    setNow(app, '2026-10-16T09:00:00+08:00');
    const run = await sys.client.ok(S.runDisburse, { runId }, { principal: JS });
    expect(run.state).toBe('completed');
    expect(run.counts).toEqual({ paid: inRun().length - 5, held: 1, rejected: 2, returned: 1, deferred: 1 });
    expect(await counterDifferences()).toEqual([]);
    const paid = await sql(sys.db.url, `SELECT payee_id::text AS payee, count(*)::int AS n, sum(voucher_fen)::bigint AS fen FROM settlement.claims_current WHERE run_id = $1 AND state = 'paid' GROUP BY 1`, [runId]);
    const excluded = [c.reject, c.ret, c.upheld, c.dismissed, c.stillOpen].map((x) => x.claimId);
    const expectedPaid = inRun().filter((x) => !excluded.includes(x.claimId));
    expect(paid.reduce((s, r) => s + r.n, 0)).toBe(expectedPaid.length);
    // The payment is recorded once, on the run (ADR 0008): the operator sees each claim paid at the
    // run's payment time, none still approved, and the claims' own rows were not rewritten.
    const listed = await sys.client.ok(S.claimList, { runId, state: 'paid', limit: 1000 }, { principal: JS });
    expect(listed.items.map((x: { claimId: string }) => x.claimId).sort()).toEqual(expectedPaid.map((x) => x.claimId).sort());
    const [{ paid_at: runPaidAt }] = await sql(sys.db.url, `SELECT paid_at FROM settlement.runs WHERE id = $1`, [runId]);
    expect(new Set(listed.items.map((x: { paidAt: string }) => new Date(x.paidAt).toISOString()))).toEqual(new Set([runPaidAt.toISOString()]));
    expect((await sys.client.ok(S.claimList, { runId, state: 'approved' }, { principal: JS })).items).toEqual([]);
    // (approved one by one after inspection, or by the run's approve-all, which left them in review)
    const stored = await sql(sys.db.url, `SELECT DISTINCT state, paid_at FROM settlement.claims WHERE claim_id = ANY($1::uuid[]) ORDER BY state`, [expectedPaid.map((x) => x.claimId)]);
    expect(stored).toEqual([
      { state: 'approved', paid_at: null },
      { state: 'in_review', paid_at: null },
    ]);

    const { items, totalFen } = await sys.client.ok(S.instructionList, { runId }, { principal: JS });
    expect(items).toHaveLength(new Set(expectedPaid.map((x) => x.payeeId)).size);
    for (const ins of items) {
      const mine = expectedPaid.filter((x) => x.payeeId === ins.payeeId);
      expect(ins).toMatchObject({ claimCount: mine.length, totalFen: mine.reduce((s, x) => s + Number(x.voucherFen), 0) });
    }
    expect(totalFen).toBe(expectedPaid.reduce((s, x) => s + Number(x.voucherFen), 0));
    expect(await claimEventCount(sys, Events.settlementClaimPaid)).toBe(expectedPaid.length);

    const statement = await sys.client.ok(S.statementGet, { runId, detail: true }, { principal: JS });
    expect(statement.totalFen).toBe(totalFen);
    expect(statement.instructionFen).toBe(totalFen);
    expect(statement.cells.map((x: { providerProvince: string }) => x.providerProvince)).toEqual(['SH', 'JS', 'ZJ', 'AH', 'OTHER']);
    for (const cell of statement.cells) {
      const mine = expectedPaid.filter((x) => x.providerProvince === cell.providerProvince);
      expect(cell).toMatchObject({ programmeId: 'JS-2026', claimCount: mine.length, totalFen: mine.reduce((s, x) => s + Number(x.voucherFen), 0) });
      expect(cell.providers.reduce((s: number, p: { totalFen: number }) => s + p.totalFen, 0)).toBe(cell.totalFen);
    }
    const zjCell = statement.cells.find((x: { providerProvince: string }) => x.providerProvince === 'ZJ');
    expect(statement.net.find((n: { from: string; to: string }) => n.from === 'JS' && n.to === 'ZJ')).toMatchObject({ paidFen: zjCell.totalFen, receivedFen: 0, netFen: zjCell.totalFen });
    // the held claim stays held; a rerun changes nothing (R-PAY-1)
    const again = await sys.client.ok(S.runDisburse, { runId }, { principal: JS });
    expect(again.instructionFen).toBe(totalFen);
    expect((await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.instructions WHERE run_id = $1`, [runId]))[0].n).toBe(items.length);
    expect(await claimEventCount(sys, Events.settlementClaimPaid)).toBe(expectedPaid.length);
    expect(await outboxCount(sys, Events.settlementRunDisbursed, [runId])).toBe(1);
  });

  it('statements: the delta desk reads all, a ZJ operator does not read JS runs, auditors read', async () => {
    expect(await sys.client.call(S.statementGet, { runId }, { principal: ZJ })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await sys.client.ok(S.statementGet, { quarter: '2026Q3' }, { principal: deltaOperator })).runIds).toEqual([runId]);
    expect((await sys.client.ok(S.runGet, { runId }, { principal: auditor })).state).toBe('completed');
    expect(await sys.client.call(S.runGet, { runId }, { principal: regionAdmin(region) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await sys.client.ok(S.runList, {}, { principal: ZJ })).items).toEqual([]);
  });

  it('returned and deferred claims, and those submitted after the quarter, wait for the next run', async () => {
    setNow(app, '2027-01-05T10:00:00+08:00');
    // R-CLAIM-3: the claim returned for amendment is amended (new evidence: an amendment never changes A or V): pending again.
    const amended = { ...c.ret, invoiceNumber: `${c.ret.invoiceNumber}-A`, revision: 2 };
    await publishEvent(sys, Events.claimAmended, c.ret.claimId, amended);
    await eventually(async () => (await sql(sys.db.url, `SELECT state FROM settlement.claims WHERE claim_id = $1`, [c.ret.claimId]))[0]?.state === 'pending');
    // Submitted inside Q3 but known to settlement only after the Q3 run began: the next run takes it.
    const late = claim('JS-2026', e1, pJS, 350_000, '2026-09-20T09:00:00+08:00');
    await feedClaims(sys, [late]);
    // The objections still open when the Q3 run paid are dismissed now: the held claim leaves that
    // run (its counters move) and waits for the next one.
    for (const id of [objections.stillOpen, objections.stillOpen2]) {
      await sys.client.ok(S.objectionDecide, { objectionId: id, decision: 'dismiss', reason: '经核查服务真实' }, { principal: JS, idempotencyKey: key() });
    }
    expect((await sys.client.ok(S.runGet, { runId }, { principal: JS })).counts).toEqual({ paid: inRun().length - 5, rejected: 2, pending: 1, deferred: 2 });
    expect(await counterDifferences()).toEqual([]);
    const next = await sys.client.ok(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q4', sampleRateBp: 0 }, { principal: JS, idempotencyKey: key() });
    expect(await takenBy(next.id)).toEqual([c.ret.claimId, c.dismissed.claimId, c.stillOpen.claimId, c.nextQuarter.claimId, late.claimId].sort());
    expect(next.collectedCount).toBe(5);
    expect(await counterDifferences()).toEqual([]);
    const [ret] = await sql(sys.db.url, `SELECT state, voucher_fen::int AS v, invoice_number, revision FROM settlement.claims WHERE claim_id = $1`, [c.ret.claimId]);
    expect(ret).toEqual({ state: 'in_review', v: 75_000, invoice_number: amended.invoiceNumber, revision: 2 });
    // Settlement answered redemption: accepted
    expect(await outboxCount(sys, Events.settlementAmendmentAccepted, [c.ret.claimId])).toBe(1);
  });

  it('a run takes the claims of earlier quarters that no run took; a run of an earlier quarter, started later, finds them taken', async () => {
    setNow(app, '2027-01-05T10:00:00+08:00');
    const q2 = claim('ZJ-2026', e1, pZJ, 250_000, '2026-05-10T09:00:00+08:00');
    await feedClaims(sys, [q2]);
    const q3 = await sys.client.ok(S.runStart, { programmeId: 'ZJ-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: ZJ, idempotencyKey: key() });
    expect(await takenBy(q3.id)).toEqual([c.zj.claimId, q2.claimId].sort());
    const q2run = await sys.client.ok(S.runStart, { programmeId: 'ZJ-2026', quarter: '2026Q2', sampleRateBp: 0 }, { principal: ZJ, idempotencyKey: key() });
    expect(q2run.collectedCount).toBe(0);
    // A Q2 claim arriving now, after runs of Q2 and Q3 exist, waits for the programme's next run.
    const lateQ2 = claim('ZJ-2026', e1, pZJ, 260_000, '2026-06-30T09:00:00+08:00');
    await feedClaims(sys, [lateQ2]);
    const q4 = await sys.client.ok(S.runStart, { programmeId: 'ZJ-2026', quarter: '2026Q4', sampleRateBp: 0 }, { principal: ZJ, idempotencyKey: key() });
    expect(await takenBy(q4.id)).toEqual([lateQ2.claimId]);
    expect((await sys.client.ok(S.runGet, { runId: q4.id }, { principal: ZJ })).counts).toEqual({ in_review: 1 });
  });

});
