import { INestApplication } from '@nestjs/common';
import { Clock } from '@vc/platform';
import { quotaArrived, serveAndClaim, startDeltaServices } from '../fixtures/services';
import { Subjects } from '@vc/contracts';
import { eventually, sql, TestSystem } from '@vc/testing';
import { runLedgerChecks, formatReport } from '../../scripts/ledger/ledger-check';
import { newCreditCode } from '../fixtures/credit-codes';
import { approvedEnterprise, createRegion, key, openProgramme } from '../fixtures/issuance';
import { operatorOf, providerAccount, regionAdmin } from '../fixtures/principals';
import { newInvoiceNumber } from '../fixtures/invoices';

const T = Subjects.settlement;

/**
 * A whole quarter through all services with their real event flow (issuance → redemption →
 * settlement → redemption / issuance), on a simulated business clock, for two provinces with
 * cross-province redemptions; ends with the cross-province statement and the ledger check.
 */
describe('e2e: a quarter played end to end across all services (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  const apps: INestApplication[] = [];
  const clock = { CLOCK_MODE: 'simulated' as const, SIMULATED_NOW: '2026-07-06T09:00:00+08:00' };

  const setNow = (instant: string) => apps.forEach((app) => app.get(Clock).set(new Date(instant)));

  beforeAll(async () => {
    sys = await TestSystem.start();
    apps.push(...(await startDeltaServices(sys, clock)).apps);
  }, 120000);
  afterAll(async () => sys?.stop());

  it('R-OFFSET-1, R-CLAIM-1, R-PUB-1, R-PAY-1, R-CLEAR-1, R-LEDGER-1: registry → quota → orders → claims → run → statement, 0 ledger differences', async () => {
    // Registry: providers in Shanghai, Zhejiang and Jiangsu
    const admit = async (province: 'SH' | 'JS' | 'ZJ', legalName: string, unitName: string, kind: string) => {
      const code = newCreditCode();
      const p = await sys.client.ok(Subjects.registry.providerApply, { creditCode: code, legalName, unitName, kind, province }, { principal: providerAccount(code), idempotencyKey: key() });
      return { ...p, principal: providerAccount(code) };
    };
    const shCentre = await admit('SH', '上海示范大学', '分析测试中心', 'testing_centre');
    const zjLab = await admit('ZJ', '浙江示范研究院', '重点实验室', 'key_laboratory');
    const jsCollege = await admit('JS', '南京示范大学', '材料学院', 'college');

    // Issuance: two programmes, regions, enterprises, quota
    await openProgramme(sys.client, 'JS', 2026, { budgetFen: 100_000_000 });
    await openProgramme(sys.client, 'ZJ', 2026, { budgetFen: 100_000_000 });
    const suzhou = await createRegion(sys.client, 'JS', '苏州工业园区');
    const hangzhou = await createRegion(sys.client, 'ZJ', '杭州高新区');
    const jsEnt = await approvedEnterprise(sys.client, suzhou.id, 'JS', 2026, '苏州光子芯片科技有限公司');
    const zjEnt = await approvedEnterprise(sys.client, hangzhou.id, 'ZJ', 2026, '杭州微生物检测科技有限公司');
    await sys.client.ok(Subjects.issuance.quotaClaim, { enterpriseId: jsEnt.id, amountFen: 10_000_000 }, { principal: jsEnt.principal, idempotencyKey: key() });
    await sys.client.ok(Subjects.issuance.quotaClaim, { enterpriseId: zjEnt.id, amountFen: 5_000_000 }, { principal: zjEnt.principal, idempotencyKey: key() });

    // Redemption learns programmes, enterprises, providers and quota from the event stream
    await quotaArrived(sys.client, 'JS-2026', jsEnt, 10_000_000);
    await quotaArrived(sys.client, 'ZJ-2026', zjEnt, 5_000_000);

    // Orders, cross-province: a Jiangsu enterprise at Shanghai and Zhejiang providers, a Zhejiang one in Jiangsu
    let invoice = 0;
    const serve = (provider: typeof shCentre, ent: typeof jsEnt, amountFen: number) =>
      serveAndClaim(sys.client, provider, ent, amountFen, { contractRef: `HT-${++invoice}`, invoiceNumber: newInvoiceNumber(), bankTransferRef: `BK-${invoice}` });
    const a = await serve(shCentre, jsEnt, 1_234_567);
    expect(a.paid).toMatchObject({ voucherFen: 308_641, enterprisePaysFen: 925_926 });
    const b = await serve(zjLab, jsEnt, 2_000_000);
    const c = await serve(jsCollege, zjEnt, 800_000);

    // After the quarter: the Jiangsu and Zhejiang centres run 2026Q3
    setNow('2026-10-09T10:00:00+08:00');
    const settle = async (province: 'JS' | 'ZJ', expectedClaims: number) => {
      const op = operatorOf(province);
      // The claims reach settlement as events; a run collects those it has when it starts (and a
      // retry under the same key answers the first collection), so start once they are all there.
      await eventually(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.claims WHERE programme_id = $1`, [`${province}-2026`]))[0].n === expectedClaims, 20000);
      await sys.client.ok(T.runStart, { programmeId: `${province}-2026`, quarter: '2026Q3', sampleRateBp: 0 }, { principal: op, idempotencyKey: `start-${province}` });
      const run = (await sys.client.ok(T.runList, { programmeId: `${province}-2026` }, { principal: op })).items[0];
      expect(run.collectedCount).toBe(expectedClaims);
      await sys.client.ok(T.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
      const published = await sys.client.ok(T.runPublish, { runId: run.id }, { principal: op, idempotencyKey: key() });
      return { op, run: published };
    };
    const js = await settle('JS', 2);
    const zj = await settle('ZJ', 1);
    // R-PUB-1: published Fri 2026-10-09; Sat 10-10 is a make-up working day → closes at the end of Thu 10-15
    expect(js.run.publication).toMatchObject({ publishedOn: '2026-10-09', firstDay: '2026-10-10', lastDay: '2026-10-15' });

    setNow('2026-10-16T09:00:00+08:00');
    const disbursed = await sys.client.ok(T.runDisburse, { runId: js.run.id }, { principal: js.op });
    await sys.client.ok(T.runDisburse, { runId: zj.run.id }, { principal: zj.op });
    expect(await sys.client.ok(T.runDisburse, { runId: js.run.id }, { principal: js.op })).toMatchObject({ instructionCount: disbursed.instructionCount });

    // R-CLEAR-1: the statement equals the payment instructions to the fen
    const instructions = await sys.client.ok(T.instructionList, { runId: js.run.id }, { principal: js.op });
    const statement = await sys.client.ok(T.statementGet, { runId: js.run.id, detail: true }, { principal: js.op });
    expect(instructions.items).toHaveLength(2); // one per payee: the Shanghai centre and the Zhejiang lab
    expect(BigInt(instructions.totalFen)).toBe(BigInt(a.paid.voucherFen) + BigInt(b.paid.voucherFen));
    expect(JSON.stringify(statement)).toContain('"SH"');

    // Redemption marks the claims paid; the ledger identities hold across all services
    await eventually(async () => {
      const rows = await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.claims WHERE status = 'paid'`);
      return rows[0].n === 3;
    }, 20000);
    const report = await runLedgerChecks(sys.db.url);
    console.log(formatReport(report));
    expect(report.filter((r) => r.status === 'differs')).toEqual([]);
    expect(report.filter((r) => r.status === 'ok').length).toBeGreaterThanOrEqual(2);

    // Local matching is owed by the Suzhou region for the Jiangsu enterprise's paid claims
    const matching = await sys.client.ok(T.matchingReport, { regionId: suzhou.id }, { principal: regionAdmin(suzhou.id) });
    expect(JSON.stringify(matching)).toContain('2027-01-16');
    void c;
  }, 180000);
});
