import { INestApplication } from '@nestjs/common';
import { Role, Subjects } from '@vc/contracts';
import { sql, TestSystem } from '@vc/testing';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { pain002, readPain001 } from '../../fixtures/bank';
import { operatorOf } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, provider, setNow, SIMULATED } from './feed';

const S = Subjects.settlement;
const JS = operatorOf('JS');

/**
 * Requests that race for one settlement object get the answers the rules give, and leave what one
 * request would leave — never an internal error (real PostgreSQL + NATS).
 */
describe('settlement: requests racing for one object', () => {
  let sys: TestSystem;
  let app: INestApplication;
  const [college, institute] = [provider('JS', '南京示范大学材料学院'), provider('JS', '江苏示范研究院')];
  let runId: string;

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
    await feedProgramme(sys, 'JS-2026');
    const region = await feedRegion(sys, 'JS');
    await feedClaims(sys, [college, institute, college].map((p, i) => claim('JS-2026', enterpriseIn(region), p, 1_000_000 * (i + 1), '2026-08-10T10:00:00+08:00')));
    await sys.client.ok(S.bankAccountSet, { ownerType: 'programme', ownerId: 'JS-2026', holderName: '江苏省科技资源统筹服务中心', accountNumber: '32001881236052500001', bankName: '中国建设银行南京城南支行', bankCode: '105301000123' }, { principal: JS, idempotencyKey: key() });
    for (const [p, account] of [[college, '32001600000050033333'], [institute, '32001600000050044444']] as const) {
      await sys.client.ok(S.bankAccountSet, { ownerType: 'provider', ownerId: p.id, holderName: p.name, accountNumber: account, bankName: '中国农业银行南京鼓楼支行', bankCode: '103301000333' }, { principal: { sub: `sys-${p.id}`, role: Role.Provider, org: p.id }, idempotencyKey: key() });
    }
    setNow(app, '2026-10-09T10:00:00+08:00');
    runId = (await sys.client.ok(S.runStart, { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: JS, idempotencyKey: key() })).id;
    await sys.client.ok(S.runReview, { runId, approveAll: true }, { principal: JS, idempotencyKey: key() });
    await sys.client.ok(S.runPublish, { runId }, { principal: JS, idempotencyKey: key() });
    setNow(app, '2026-10-20T10:00:00+08:00');
    expect((await sys.client.ok(S.runDisburse, { runId }, { principal: JS, idempotencyKey: key() })).state).toBe('completed');
  });
  afterAll(async () => sys?.stop());

  it("R-PAY-1: the bank's answer imported twice at once is applied once: one import applies it, the other is told it was imported", async () => {
    const exported = await sys.client.ok(S.exportGet, { runId, kind: 'instructions', format: 'xml' }, { principal: JS });
    const sent = readPain001(Buffer.from(exported.content, 'base64').toString('utf8'));
    expect(sent.transfers).toHaveLength(2);
    const content = pain002(sent, Object.fromEntries(sent.transfers.map((t) => [t.endToEndId, { status: 'ACSC' as const }])));
    const calls = await Promise.all([1, 2, 3].map(() => sys.client.call(S.bankReportImport, { content }, { principal: JS, idempotencyKey: key() })));
    const replies = calls.map((r) => (r.ok ? r.data : r));
    for (const r of replies) expect(r).toHaveProperty('alreadyImported');
    expect(replies.map((r) => r.alreadyImported).sort()).toEqual([false, true, true]);
    const first = replies.find((r) => !r.alreadyImported);
    expect(first).toMatchObject({ appliedCount: 2 });
    for (const r of replies.filter((r) => r.alreadyImported)) expect(r).toMatchObject({ id: first.id, appliedCount: 2 });
    expect(await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.bank_reports`)).toEqual([{ n: 1 }]);
    expect(await sql(sys.db.url, `SELECT bank_status, count(*)::int AS n FROM settlement.instructions WHERE run_id = $1 GROUP BY 1`, [runId])).toEqual([{ bank_status: 'settled', n: 2 }]);
  });

  it('R-REWARD-1: the year’s rewards computed twice at once: both answer the same rewards, kept once', async () => {
    for (const p of [college, institute]) {
      await sys.client.ok(S.rewardGrade, { programmeId: 'JS-2026', year: 2026, providerId: p.id, grade: 'excellent' }, { principal: JS, idempotencyKey: key() });
    }
    setNow(app, '2027-01-05T10:00:00+08:00');
    for (let round = 0; round < 3; round++) {
      const replies = await Promise.all([1, 2].map(() => sys.client.call(S.rewardCompute, { programmeId: 'JS-2026', year: 2026 }, { principal: JS, idempotencyKey: key() })));
      for (const r of replies) expect(r).toMatchObject({ ok: true, data: { totalFen: 300_000 } });
      expect(replies[0]).toEqual(replies[1]);
      expect(await sql(sys.db.url, `SELECT provider_id, reward_fen::int AS fen FROM settlement.rewards ORDER BY reward_fen`)).toEqual([
        { provider_id: institute.id, fen: 100_000 },
        { provider_id: college.id, fen: 200_000 },
      ]);
    }
  });
});
