import { INestApplication } from '@nestjs/common';
import { Subjects } from '@vc/contracts';
import { rowCounts, sql, TestSystem } from '@vc/testing';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { operatorOf } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, provider, setNow, SIMULATED } from './feed';

const S = Subjects.settlement;
const JS = operatorOf('JS');
const PER_ADDRESS = 10;
const PER_CLAIM = 20;

/**
 * R-PUB-1 under a flood: the publicity desk takes objections named and reachable, one open per
 * claim and contact, within its caps per client address and per claim; the operator examines the
 * claim once and decides all its objections together; the genuine provider is paid in the next run.
 */
jest.setTimeout(120_000);

describe('settlement: an objection flood on one claim (R-PUB-1)', () => {
  let sys: TestSystem;
  let app: INestApplication;
  const genuine = provider('JS', '南京理工大学分析测试中心');
  const other = provider('ZJ', '浙江大学化学系');
  let region: string;
  let target: ReturnType<typeof claim>;
  let bystander: ReturnType<typeof claim>;
  let runId: string;

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, { ...SIMULATED, OBJECTIONS_PER_ADDRESS_PER_DAY: PER_ADDRESS, OBJECTIONS_OPEN_PER_CLAIM: PER_CLAIM });
    await feedProgramme(sys, 'JS-2026');
    region = await feedRegion(sys, 'JS');
    const e = enterpriseIn(region, '常州示范新材料有限公司');
    target = claim('JS-2026', e, genuine, 2_000_000, '2026-05-10T10:00:00+08:00');
    bystander = claim('JS-2026', e, other, 1_000_000, '2026-05-11T10:00:00+08:00');
    await feedClaims(sys, [target, bystander]);
    setNow(app, '2026-07-06T10:00:00+08:00');
    runId = (await sys.client.ok(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q2', sampleRateBp: 0 }, { principal: JS, idempotencyKey: key() })).id;
    await sys.client.ok(S.runReview, { runId, approveAll: true }, { principal: JS, idempotencyKey: key() });
    await sys.client.ok(S.runPublish, { runId }, { principal: JS, idempotencyKey: key() });
    setNow(app, '2026-07-08T10:00:00+08:00');
  });
  afterAll(async () => sys?.stop());

  const object = (n: number, address: string, overrides: Record<string, unknown> = {}, idempotencyKey = key('pub')) =>
    sys.client.call(
      S.objectionFile,
      { runId, claimId: target.claimId, objectorName: `异议人${n}`, objectorContact: `139${String(n).padStart(8, '0')}`, reason: '该服务未实际发生', ...overrides },
      { idempotencyKey, clientAddress: address },
    );
  const openOn = async (claimId: string) => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.objections WHERE claim_id = $1 AND status = 'open'`, [claimId]))[0].n;

  it('R-PUB-1: an objection needs a real name and a phone or e-mail the desk can reach', async () => {
    const before = await rowCounts(sys.db.url, 'settlement');
    for (const [overrides, field] of [
      [{ objectorContact: 'call me maybe' }, 'objectorContact'],
      [{ objectorContact: '12345' }, 'objectorContact'],
      [{ objectorContact: 'someone@' }, 'objectorContact'],
      [{ objectorName: '   ' }, 'objectorName'],
      [{ objectorName: '张\u0007三' }, 'objectorName'],
    ] as const) {
      expect(await object(1, '198.51.100.1', overrides)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field } });
    }
    expect(await rowCounts(sys.db.url, 'settlement')).toEqual(before);
    for (const contact of ['zhao.liu@example.com', '025-83790000', '+86 13912345678']) {
      expect(await sys.client.call(S.objectionFile, { runId, claimId: bystander.claimId, objectorName: '赵六', objectorContact: contact, reason: '价格偏高' }, { idempotencyKey: key('pub'), clientAddress: '198.51.100.2' })).toMatchObject({ ok: true });
    }
    // one open objection per claim and contact: another spelling of one contact is the same contact
    const again = await sys.client.call(S.objectionFile, { runId, claimId: bystander.claimId, objectorName: '赵六', objectorContact: 'Zhao.Liu@Example.com', reason: '再次异议' }, { idempotencyKey: key('pub'), clientAddress: '198.51.100.3' });
    expect(again).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', field: 'objectorContact' } });
    const mobile = await sys.client.call(S.objectionFile, { runId, claimId: bystander.claimId, objectorName: '赵六', objectorContact: '139-1234-5678', reason: '再次异议' }, { idempotencyKey: key('pub'), clientAddress: '198.51.100.3' });
    expect(mobile).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', field: 'objectorContact' } });
  });

  it('R-PUB-1: anonymous objectors do not share an idempotency scope: one key, two objectors, two objections; a repeat returns the first', async () => {
    const shared = key('same-key');
    const first = await object(9001, '198.51.100.4', {}, shared);
    const second = await object(9002, '198.51.100.5', {}, shared);
    expect(first).toMatchObject({ ok: true, data: { objectorName: '异议人9001' } });
    expect(second).toMatchObject({ ok: true, data: { objectorName: '异议人9002' } });
    expect(second.ok && first.ok && second.data.id !== first.data.id).toBe(true);
    expect(await object(9001, '198.51.100.4', {}, shared)).toEqual(first);
    expect(await object(9001, '198.51.100.4', { reason: '另一理由' }, shared)).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_CONFLICT' } });
  });

  it('R-PUB-1: a flood from one address is refused beyond its cap, and a flood from many beyond the claim\'s', async () => {
    // 102 objections from one address, each with a contact of its own, 20 at a time
    const fromOne: Array<Awaited<ReturnType<typeof object>>> = [];
    for (let i = 0; i < 102; i += 20) fromOne.push(...(await Promise.all(Array.from({ length: Math.min(20, 102 - i) }, (_, j) => object(100 + i + j, '203.0.113.7')))));
    expect(fromOne.filter((r) => r.ok)).toHaveLength(PER_ADDRESS);
    expect(fromOne.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(Array(102 - PER_ADDRESS).fill(expect.objectContaining({ code: 'OBJECTION_LIMIT', details: { scope: 'address', limit: PER_ADDRESS } })));
    // then one each from 40 addresses: the claim takes PER_CLAIM open objections, no more
    const fromMany = await Promise.all(Array.from({ length: 40 }, (_, i) => object(500 + i, `192.0.2.${i + 1}`)));
    const openNow = await openOn(target.claimId);
    expect(openNow).toBe(PER_CLAIM);
    expect(fromMany.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(
      Array(40 - (PER_CLAIM - PER_ADDRESS - 2)).fill(expect.objectContaining({ code: 'OBJECTION_LIMIT', field: 'claimId', details: { scope: 'claim', limit: PER_CLAIM } })),
    );
    const [claimState] = await sql(sys.db.url, `SELECT state FROM settlement.claims_current WHERE claim_id = $1`, [target.claimId]);
    expect(claimState.state).toBe('held');
  });

  it("R-PUB-1: the operator's one decision dismisses every open objection with its reason; the flood cannot hold the claim any more", async () => {
    const decided = await sys.client.ok(S.objectionDecideClaim, { runId, claimId: target.claimId, decision: 'dismiss', reason: '经核查服务真实；重复异议一并答复' }, { principal: JS, idempotencyKey: key() });
    expect(decided).toMatchObject({ outcome: 'dismissed', objectionsDecided: PER_CLAIM, claimState: 'deferred' });
    const statuses = await sql(sys.db.url, `SELECT status, decision_reason, count(*)::int AS n FROM settlement.objections WHERE claim_id = $1 GROUP BY 1, 2`, [target.claimId]);
    expect(statuses).toEqual([{ status: 'dismissed', decision_reason: '经核查服务真实；重复异议一并答复', n: PER_CLAIM }]);
    // more of the flood finds the claim off this run's list
    expect(await object(900, '192.0.2.200')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'claimId' } });
    // another operator's province cannot decide it, and there is nothing open left to decide
    expect(await sys.client.call(S.objectionDecideClaim, { runId, claimId: target.claimId, decision: 'uphold', reason: 'x' }, { principal: operatorOf('ZJ'), idempotencyKey: key() })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sys.client.call(S.objectionDecideClaim, { runId, claimId: target.claimId, decision: 'uphold', reason: 'x' }, { principal: JS, idempotencyKey: key() })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'claimId' } });
  });

  it('R-PUB-1 / R-PAY-1: the claim is paid to the genuine provider in the next run; a contact already heard is not heard again there', async () => {
    setNow(app, '2026-07-20T10:00:00+08:00');
    const q2 = await sys.client.ok(S.runDisburse, { runId }, { principal: JS });
    expect(q2.state).toBe('completed');
    expect((await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.instructions WHERE run_id = $1 AND payee_id = $2`, [runId, genuine.id]))[0].n).toBe(0);

    setNow(app, '2026-10-09T10:00:00+08:00');
    const next = await sys.client.ok(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: JS, idempotencyKey: key() });
    // the deferred claim; the bystander is still held in the Q2 run by its objections
    expect(next.collectedCount).toBe(1);
    await sys.client.ok(S.runReview, { runId: next.id, approveAll: true }, { principal: JS, idempotencyKey: key() });
    await sys.client.ok(S.runPublish, { runId: next.id }, { principal: JS, idempotencyKey: key() });
    setNow(app, '2026-10-12T10:00:00+08:00');
    const heard = await sys.client.call(
      S.objectionFile,
      { runId: next.id, claimId: target.claimId, objectorName: '异议人100', objectorContact: '13900000100', reason: '该服务未实际发生' },
      { idempotencyKey: key('pub'), clientAddress: '192.0.2.77' },
    );
    expect(heard).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', field: 'objectorContact' } });
    expect(await openOn(target.claimId)).toBe(0);

    setNow(app, '2026-10-20T10:00:00+08:00');
    const paid = await sys.client.ok(S.runDisburse, { runId: next.id }, { principal: JS });
    expect(paid.state).toBe('completed');
    const [instruction] = await sql(sys.db.url, `SELECT total_fen::int AS fen, claim_count AS n FROM settlement.instructions WHERE run_id = $1 AND payee_id = $2`, [next.id, genuine.id]);
    expect(instruction).toEqual({ fen: Number(target.voucherFen), n: 1 });
    const [state] = await sql(sys.db.url, `SELECT state FROM settlement.claims_current WHERE claim_id = $1`, [target.claimId]);
    expect(state.state).toBe('paid');
  });
});
