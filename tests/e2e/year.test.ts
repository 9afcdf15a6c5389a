import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import request from 'supertest';
import { Principal, Subjects } from '@vc/contracts';
import { shanghaiDate } from '@vc/domain';
import { eventually, testSecretsDir, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../apps/gateway/src/bootstrap';
import { formatReport } from '../../scripts/ledger/ledger-check';
import { camt054, iso20022SchemaDir, pain002, readPain001, SentFile, xsdErrors } from '../fixtures/bank';
import { FIXTURE_2027_PATH, FIXTURE_2028_PATH } from '../fixtures/calendar';
import { newCreditCode } from '../fixtures/credit-codes';
import { approvedEnterprise, createRegion, key, openProgramme } from '../fixtures/issuance';
import { deltaOperator, enterprise, operatorOf, providerAccount, providerUnit, regionAdmin } from '../fixtures/principals';
import { startDeltaServices } from '../fixtures/services';
import { settledLedger, simPool } from '../fixtures/simulation';
import { newInvoiceNumber } from '../fixtures/invoices';

const { registry: G, issuance: I, redemption: R, settlement: S } = Subjects;
const ROOT = resolve(__dirname, '../..');
const schemas = iso20022SchemaDir();

jest.setTimeout(600_000);

type Province = 'JS' | 'ZJ';
interface Party {
  id: string;
  principal: Principal;
}
interface Ent extends Party {
  regionId: string;
  province: Province;
  creditCode: string;
}

/**
 * Two years of operation, 2026Q1 to 2027Q4, through the public interfaces only (NATS requests,
 * HTTP through the gateway, the settle CLI; the test reads the database only to wait for quiet and
 * to run the ledger check), on the simulated business clock moved over the declared clock subjects.
 *
 * Jiangsu runs provider_redeems, Zhejiang enterprise_reimbursed (the enterprise is paid). Each
 * quarter: orders paid with vouchers and claimed, the quarter's runs reviewed, published (a window
 * of working days), disbursed, their pain.001 files answered by the bank (pain.002 or camt.054),
 * local matching paid, and `ledger:check` with 0 differences. Across the quarters: a payment
 * returned (closed account) and paid again next quarter exactly once; a region that does not pay
 * its matching defaults and catches up; quota lapsing at each year end; programme years opened and
 * closed; the Q4 runs published in January after the delta desk loads next year's calendar (test
 * fixture years, marked as such); year-end rewards.
 */
describe('e2e: a year of operation, 2026Q1 to 2027Q4 (all services, real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let gateway: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  let pool: Pool;
  const ops: Record<Province, Principal> = { JS: operatorOf('JS'), ZJ: operatorOf('ZJ') };
  const regions: Record<string, string> = {};
  const ents: Record<string, Ent> = {};
  const providers: Record<string, Party & { creditCode: string }> = {};
  let invoice = 0;
  const ledgerAfter: Record<string, number> = {};
  const returned: { run?: string; instruction?: string; fen?: number } = {};
  let now = new Date('2026-01-05T09:00:00+08:00');

  // ---- public interfaces ------------------------------------------------------------------------

  /** The business clock of every service, over the declared clock subjects (delta desk). */
  async function at(instant: string): Promise<void> {
    now = new Date(instant);
    for (const service of [G, I, R, S]) await sys.client.ok(service.clockSet, { now: instant }, { principal: deltaOperator });
  }

  const bearer = (p: Principal) => `Bearer ${tokenFor(p)}`;
  const ok = <T = any>(subject: string, body: unknown, principal: Principal, idempotent = true) =>
    sys.client.ok<T>(subject, body, { principal, ...(idempotent ? { idempotencyKey: key('y') } : {}) });

  function settle(args: string[], now: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/settlement/src/cli.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, NODE_ENV: 'test', SECRETS_DIR: testSecretsDir(), DATABASE_URL: sys.db.url, NATS_URL: sys.nats.url, CLOCK_MODE: 'simulated', SIMULATED_NOW: now, LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });
  }

  /** Everything written is relayed and applied, and every R-LEDGER-1 identity holds. */
  async function ledgerClean(label: string): Promise<void> {
    const result = await settledLedger(sys.client, pool, sys.db.url, 60_000);
    if (!result.ok) console.log(`${label}\n${formatReport(result.report)}`);
    expect([label, result.report.filter((r) => r.status === 'differs').map((r) => r.name)]).toEqual([label, []]);
    ledgerAfter[label] = result.report.filter((r) => r.status === 'ok').length;
  }

  /** One service, as the parties do it: order, both confirm, pay with the voucher, complete, claim (the redeeming party claims). */
  async function serve(provider: Party, ent: Ent, amountFen: number, mode: 'provider_redeems' | 'enterprise_reimbursed') {
    const order = await eventually(async () => {
      const r = await sys.client.call(R.orderCreate, { providerId: provider.id, enterpriseId: ent.id, amountFen, description: '大型仪器机时' }, { principal: provider.principal, idempotencyKey: key('o') });
      return r.ok ? r.data : null;
    }, 20_000);
    await ok(R.orderConfirm, { orderId: order.id }, provider.principal);
    await ok(R.orderConfirm, { orderId: order.id }, ent.principal);
    const paid = await ok(R.orderPay, { orderId: order.id }, ent.principal);
    await ok(R.orderComplete, { orderId: order.id }, provider.principal);
    const claimant = mode === 'provider_redeems' ? provider.principal : ent.principal;
    const n = ++invoice;
    await ok(R.claimSubmit, { orderId: order.id, contractRef: `HT-${n}`, invoiceNumber: newInvoiceNumber(), invoiceAmountFen: amountFen, bankTransferRef: `BK-${n}`, bankAmountFen: paid.enterprisePaysFen }, claimant);
    return paid;
  }

  /** The date of the business clock as last set (Asia/Shanghai). */
  const today = () => shanghaiDate(now);

  /** Runs of a quarter started and published together after the quarter (collected once the system is quiet). */
  async function startRuns(quarterLabel: string, startAt: string, runs: Array<[string, number]>) {
    await at(startAt);
    await settledLedger(sys.client, pool, sys.db.url, 60_000);
    const out: Array<{ id: string; programmeId: string; op: Principal }> = [];
    for (const [programmeId, expectClaims] of runs) {
      const op = ops[programmeId.slice(0, 2) as Province];
      const started = await ok(S.runStart, { programmeId, quarter: quarterLabel, sampleRateBp: 0 }, op);
      expect([programmeId, quarterLabel, started.collectedCount]).toEqual([programmeId, quarterLabel, expectClaims]);
      await ok(S.runReview, { runId: started.id, approveAll: true }, op);
      out.push({ id: started.id, programmeId, op });
    }
    return out;
  }

  const publish = (r: { id: string; op: Principal }): Promise<any> => sys.client.call(S.runPublish, { runId: r.id }, { principal: r.op, idempotencyKey: key('pub') });

  /** After the last window closes (09:00 the morning after), every run is disbursed. */
  async function disburseAll(runs: Array<{ id: string; op: Principal }>, closes: string[]) {
    const last = Math.max(...closes.map((c) => new Date(c).getTime()));
    await at(new Date(last + 9 * 3600_000).toISOString());
    for (const r of runs) expect((await ok(S.runDisburse, { runId: r.id }, r.op, false)).state).toBe('completed');
  }

  async function bankFile(runId: string, op: Principal): Promise<{ xml: string; file: SentFile }> {
    const res = await http.get(`/v1/settlement/runs/${runId}/exports/instructions.xml`).set('Authorization', bearer(op)).buffer(true).parse((r, cb) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (d: string) => (text += d));
      r.on('end', () => cb(null, text));
    });
    expect(res.status).toBe(200);
    const xml = res.body as string;
    if (schemas) expect(await xsdErrors(xml, 'pain.001.001.10')).toEqual([]);
    return { xml, file: readPain001(xml) };
  }

  async function answer(op: Principal, content: string) {
    const res = await http.post('/v1/settlement/bank-reports').set('Authorization', bearer(op)).set('Idempotency-Key', key('bank')).send({ content });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** The bank settles every transfer of a run's file (a pain.002 status report), and the run is reconciled. */
  async function bankSettles(r: { id: string; op: Principal }) {
    const { file } = await bankFile(r.id, r.op);
    const report = await answer(r.op, pain002(file, Object.fromEntries(file.transfers.map((t) => [t.endToEndId, { status: 'ACSC' as const }]))));
    expect(report.appliedCount).toBe(file.count);
    expect((await ok(S.runGet, { runId: r.id }, r.op, false)).payments).toMatchObject({ settled: { count: file.count }, reconciled: true });
    return file;
  }

  /** The region pays every matching obligation it has outstanding, today (R-MATCH-1). */
  async function payMatching(regionId: string, province: Province) {
    const admin = regionAdmin(regionId, province);
    const report = await ok(S.matchingReport, { regionId }, admin, false);
    const open = report.obligations.filter((o: { amountFen: number; paidFen: number }) => o.amountFen > o.paidFen);
    if (!open.length) return 0;
    const paidOn = today();
    await ok(S.matchingRecord, { items: open.map((o: { id: string; amountFen: number; paidFen: number }) => ({ obligationId: o.id, amountFen: o.amountFen - o.paidFen })), paidOn, reference: `PT-${paidOn}-${regionId.slice(0, 6)}` }, admin);
    return open.length;
  }

  const REGIONS = [['suzhou', 'JS'], ['wuxi', 'JS'], ['hangzhou', 'ZJ']] as const;

  /** A quarter of services: Suzhou's and Wuxi's enterprises at the Shanghai centre and the Nanjing college (JS pays the providers), Hangzhou's at the Zhejiang lab (ZJ reimburses the enterprise). */
  async function services(year: number, q: 1 | 2 | 3 | 4) {
    const month = (q - 1) * 3 + 2;
    await at(`${year}-${String(month).padStart(2, '0')}-10T10:00:00+08:00`);
    await serve(providers.centre, ents.suzhou, 400_000, 'provider_redeems');
    await serve(providers.college, ents.wuxi, 200_000, 'provider_redeems');
    await serve(providers.lab, ents.hangzhou, 300_000, 'enterprise_reimbursed');
    const after = q === 4 ? `${year + 1}-01-05T10:00:00+08:00` : `${year}-${String(q * 3 + 1).padStart(2, '0')}-07T10:00:00+08:00`;
    return { label: `${year}Q${q}`, js: `JS-${year}`, zj: `ZJ-${year}`, after };
  }

  /** A plain quarter: services, both runs published, disbursed, settled by the bank; the regions pay their matching. */
  async function plainQuarter(year: number, q: 1 | 2 | 3 | 4) {
    const { label, js, zj, after } = await services(year, q);
    const runs = await startRuns(label, after, [[js, 2], [zj, 1]]);
    const closes: string[] = [];
    for (const r of runs) {
      const published = await publish(r);
      expect([label, r.programmeId, published.ok]).toEqual([label, r.programmeId, true]);
      closes.push(published.data.publication.closesAt);
    }
    await disburseAll(runs, closes);
    for (const r of runs) await bankSettles(r);
    for (const [name, province] of REGIONS) await payMatching(regions[name], province);
    await ledgerClean(label);
    return runs;
  }

  // ---- the world ----------------------------------------------------------------------------------

  beforeAll(async () => {
    sys = await TestSystem.start();
    await startDeltaServices(sys, { CLOCK_MODE: 'simulated', SIMULATED_NOW: '2026-01-05T09:00:00+08:00' });
    gateway = await bootstrapGateway(sys.config({ CLOCK_MODE: 'simulated' }), false);
    http = request(gateway.getHttpServer());
    pool = simPool(sys.db.url);
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await gateway?.close();
    await sys?.stop();
  });

  it('2026 opens: providers, programmes (JS provider_redeems, ZJ enterprise_reimbursed), regions, enterprises, quota, bank accounts', async () => {
    await at('2026-01-05T09:00:00+08:00');
    const admit = async (name: string, province: string, legalName: string, unitName: string, kind: string) => {
      const code = newCreditCode();
      const p = await ok(G.providerApply, { creditCode: code, legalName, unitName, kind, province }, providerAccount(code));
      expect(p.status).toBe('active');
      providers[name] = { id: p.id, principal: providerAccount(code), creditCode: code };
    };
    await admit('centre', 'SH', '上海示范大学', '分析测试中心', 'testing_centre');
    await admit('college', 'JS', '南京示范大学', '材料学院', 'college');
    await admit('lab', 'ZJ', '浙江示范研究院', '重点实验室', 'key_laboratory');
    await openProgramme(sys.client, 'JS', 2026, { budgetFen: 100_000_000 });
    await openProgramme(sys.client, 'ZJ', 2026, { budgetFen: 100_000_000, mode: 'enterprise_reimbursed' });
    for (const [name, province] of [['suzhou', 'JS'], ['wuxi', 'JS'], ['hangzhou', 'ZJ']] as const) {
      regions[name] = (await createRegion(sys.client, province, `${name}高新区`)).id;
      const e = await approvedEnterprise(sys.client, regions[name], province, 2026, `${name}示范科技有限公司`);
      ents[name] = { id: e.id, principal: e.principal, regionId: regions[name], province, creditCode: e.creditCode };
      await ok(I.quotaClaim, { enterpriseId: e.id, amountFen: 3_000_000 }, e.principal);
    }
    // the accounts the payment files name: the programmes' and the payees' (ZJ reimburses the enterprise)
    const account = (owner: Principal, ownerType: string, ownerId: string, holderName: string, accountNumber: string, bankCode: string, reason?: string) =>
      ok(S.bankAccountSet, { ownerType, ownerId, holderName, accountNumber, bankName: '示范银行', bankCode, ...(reason ? { reason } : {}) }, owner);
    await account(ops.JS, 'programme', 'JS-2026', '江苏省科技资源统筹服务中心', '32001881236052500001', '105301000123');
    await account(ops.ZJ, 'programme', 'ZJ-2026', '浙江省科技创新服务中心', '33001881236052500002', '105331000456');
    await account(providerUnit(providers.centre.id), 'provider', providers.centre.id, '上海示范大学', '31001600000050011111', '102290000111');
    await account(providerUnit(providers.college.id), 'provider', providers.college.id, '南京示范大学', '32001600000050033333', '103301000333');
    await account(ents.hangzhou.principal, 'enterprise', ents.hangzhou.id, 'hangzhou示范科技有限公司', '33001600000050055555', '104331000555');
    await ledgerClean('2026 opened');
  });

  it('2026Q1: the runs of both provinces, paid and settled by the bank', async () => {
    await plainQuarter(2026, 1);
  });

  it("2026Q2: the bank returns the Shanghai centre's payment (closed account, AC04); Wuxi does not pay its matching", async () => {
    const { label, js, zj, after } = await services(2026, 2);
    const [jsRun, zjRun] = await startRuns(label, after, [[js, 2], [zj, 1]]);
    const closes = [(await publish(jsRun)).data.publication.closesAt, (await publish(zjRun)).data.publication.closesAt];
    await disburseAll([jsRun, zjRun], closes);
    const { file } = await bankFile(jsRun.id, jsRun.op);
    const centre = (await ok(S.instructionList, { runId: jsRun.id }, jsRun.op, false)).items.find((i: { payeeId: string }) => i.payeeId === providers.centre.id);
    const bank = camt054(
      file,
      file.transfers.map((t) => (t.endToEndId === centre.endToEndId ? { endToEndId: t.endToEndId, amount: t.amount, returned: { reason: 'AC04', info: '收款账户已销户' } } : { endToEndId: t.endToEndId, amount: t.amount })),
      `${today()}T16:00:00+08:00`,
    );
    if (schemas) expect(await xsdErrors(bank, 'camt.054.001.08')).toEqual([]);
    const report = await answer(jsRun.op, bank);
    expect(report.entries.find((e: { reference: string }) => e.reference === centre.endToEndId)).toMatchObject({ status: 'returned', reasonCode: 'AC04', outcome: 'applied' });
    Object.assign(returned, { run: jsRun.id, instruction: centre.id, fen: centre.totalFen });
    expect((await ok(S.runGet, { runId: jsRun.id }, jsRun.op, false)).payments).toMatchObject({ returned: { count: 1, fen: centre.totalFen }, waitingForDetails: { count: 1 }, reconciled: true });
    await bankSettles(zjRun);
    await payMatching(regions.suzhou, 'JS');
    await payMatching(regions.hangzhou, 'ZJ');
    await ledgerClean(label);
  });

  it('2026Q3: the centre corrects its account and its returned payment is paid again by this run, exactly once; Wuxi defaults and catches up', async () => {
    await at('2026-07-25T10:00:00+08:00');
    await ok(S.bankAccountSet, { ownerType: 'provider', ownerId: providers.centre.id, holderName: '上海示范大学', accountNumber: '31001600000050099999', bankName: '示范银行', bankCode: '102290000111', reason: '原账户已销户' }, providerUnit(providers.centre.id));
    const { label, js, zj, after } = await services(2026, 3);
    const [jsRun, zjRun] = await startRuns(label, after, [[js, 2], [zj, 1]]);
    const closes = [(await publish(jsRun)).data.publication.closesAt, (await publish(zjRun)).data.publication.closesAt];
    await disburseAll([jsRun, zjRun], closes);
    const reissues = (await ok(S.instructionList, { runId: jsRun.id }, jsRun.op, false)).items.filter((i: { kind: string }) => i.kind === 'reissue');
    expect(reissues).toEqual([expect.objectContaining({ reissueOf: returned.instruction, payeeId: providers.centre.id, totalFen: returned.fen, accountVersion: 2, bankStatus: 'outstanding' })]);
    const file = await bankSettles(jsRun);
    expect(file.transfers.filter((t) => t.account === '31001600000050099999')).toHaveLength(2); // this quarter's payment and the one paid again
    expect((await ok(S.runGet, { runId: returned.run }, ops.JS, false)).payments).toMatchObject({ returned: { count: 1 }, waitingForDetails: { count: 0 }, reissuedLater: { count: 1, fen: returned.fen } });
    await bankSettles(zjRun);

    // R-MATCH-1: Wuxi's 2026Q2 matching fell due in October and is unpaid: it defaults, and its new enterprises wait
    await at('2026-10-26T10:00:00+08:00');
    expect((await ok(S.matchingCheck, { note: 'quarterly check' }, ops.JS)).defaulting).toEqual([regions.wuxi]);
    const newcomer = newCreditCode();
    const registered = await ok(I.enterpriseRegister, { creditCode: newcomer, name: '无锡新来科技有限公司', regionId: regions.wuxi }, enterprise(newcomer, 'JS'));
    await eventually(async () => {
      const r = await sys.client.call(I.enterpriseDecide, { enterpriseId: registered.id, decision: 'approve' }, { principal: regionAdmin(regions.wuxi), idempotencyKey: key('d') });
      return !r.ok && r.error.code === 'REGION_DEFAULTING';
    }, 20_000);
    expect(await payMatching(regions.wuxi, 'JS')).toBeGreaterThan(0);
    // the payment itself clears the flag (the region's verdict is refreshed with it), and says so to issuance
    const after2 = await ok(S.matchingReport, { regionId: regions.wuxi }, ops.JS, false);
    expect(after2.regions).toEqual([expect.objectContaining({ regionId: regions.wuxi, defaulting: false, overdueCount: 0 })]);
    await eventually(async () => (await sys.client.call(I.enterpriseDecide, { enterpriseId: registered.id, decision: 'approve' }, { principal: regionAdmin(regions.wuxi), idempotencyKey: key('d') })).ok, 20_000);
    // Suzhou and Hangzhou owe the Q3 matching by mid-January 2027 (3 months after the October payment): they pay next year
    await ledgerClean(label);
  });

  it('2026Q4 → January 2027: next year is warned of from 1 November; the Q4 runs are refused until the desk loads 2027, then published, disbursed and reconciled; quota lapses; the 2026 programmes close; rewards', async () => {
    await at('2026-10-31T23:00:00+08:00');
    expect((await ok(S.calendarList, {}, ops.JS, false)).status.warnings).toEqual([]);
    await at('2026-11-01T08:00:00+08:00');
    expect((await ok(S.calendarList, {}, ops.JS, false)).status.warnings).toEqual([expect.stringContaining('2027 is not loaded')]);
    const { label, js, zj, after } = await services(2026, 4);
    const runs = await startRuns(label, after, [[js, 2], [zj, 1]]);
    for (const r of runs) expect(await publish(r)).toMatchObject({ ok: false, error: { code: 'CALENDAR_YEAR_MISSING', details: { year: 2027 } } });
    // the delta desk loads 2027 with the one documented command (a made-up year here: no notice for 2027 is cited)
    const loaded = await settle(['calendar', 'load', '--delta', '--file', FIXTURE_2027_PATH], after);
    expect([loaded.code, loaded.stderr]).toEqual([0, '']);
    expect(loaded.stdout).toContain('loaded: 2027 version 1 [TEST FIXTURE]');
    const closes: string[] = [];
    for (const r of runs) {
      const published = await publish(r);
      expect(published.data.publication).toMatchObject({ publishedOn: '2027-01-05', calendar: [{ year: 2027, version: 1 }] });
      closes.push(published.data.publication.closesAt);
    }
    await disburseAll(runs, closes);
    const { file } = await bankFile(runs[0].id, ops.JS);
    await answer(ops.JS, camt054(file, file.transfers.map((t) => ({ endToEndId: t.endToEndId, amount: t.amount })), `${today()}T16:00:00+08:00`));
    expect((await ok(S.runGet, { runId: runs[0].id }, ops.JS, false)).payments).toMatchObject({ settled: { count: file.count }, reconciled: true });
    await bankSettles(runs[1]);
    // R-MATCH-1: the Q3 matching fell due across the year end (provincial payment in October + 3 months); paid in January, on time
    for (const regionId of [regions.suzhou, regions.hangzhou]) {
      const owed = await ok(S.matchingReport, { regionId }, ops[regionId === regions.suzhou ? 'JS' : 'ZJ'], false);
      const q3 = owed.obligations.filter((o: { provincialPaidOn: string }) => o.provincialPaidOn.startsWith('2026-10'));
      expect(q3.map((o: { dueOn: string; amountFen: number; paidFen: number }) => [o.dueOn.slice(0, 7), o.paidFen < o.amountFen])).toEqual([['2027-01', true]]);
      expect(owed.regions[0]).toMatchObject({ overdueCount: 0, defaulting: false });
    }
    for (const [name, province] of REGIONS) await payMatching(regions[name], province);
    expect((await ok(S.matchingCheck, { note: 'January check' }, ops.JS)).defaulting).toEqual([]);

    // R-QUOTA-2: what is left of 2026's quota lapses; the 2026 programmes close
    await ok(R.quotaLapse, { year: 2026 }, ops.JS);
    await ok(R.quotaLapse, { year: 2026 }, ops.ZJ);
    const balance = await ok(R.balanceGet, { programmeId: 'JS-2026', enterpriseId: ents.suzhou.id }, ents.suzhou.principal, false);
    expect(balance.quota).toMatchObject({ leftFen: 0, lapsedFen: 3_000_000 - 4 * 100_000 });
    for (const p of ['JS', 'ZJ'] as const) await ok(I.programmeClose, { programmeId: `${p}-2026` }, ops[p]);
    expect((await sys.client.call(I.quotaClaim, { enterpriseId: ents.suzhou.id, amountFen: 100_000 }, { principal: ents.suzhou.principal, idempotencyKey: key() })).ok).toBe(false);

    // R-REWARD-1: the college (JS's own provider) graded excellent: 5 % of what the runs paid in 2026 for its services
    await ok(S.rewardGrade, { programmeId: 'JS-2026', year: 2026, providerId: providers.college.id, grade: 'excellent' }, ops.JS);
    const rewards = await ok(S.rewardCompute, { programmeId: 'JS-2026', year: 2026 }, ops.JS);
    expect(rewards.items).toEqual([expect.objectContaining({ providerId: providers.college.id, serviceTotalFen: 3 * 200_000, rewardFen: Math.floor((3 * 200_000 * 500) / 10_000) })]);
    await ledgerClean(label);
  });

  it('2027 opens: programmes, SME registrations, quota and paying accounts for the new year', async () => {
    await at('2027-01-18T09:00:00+08:00');
    await openProgramme(sys.client, 'JS', 2027, { budgetFen: 100_000_000 });
    await openProgramme(sys.client, 'ZJ', 2027, { budgetFen: 100_000_000, mode: 'enterprise_reimbursed' });
    for (const [name] of REGIONS) {
      const e = ents[name];
      await ok(I.enterpriseSetSme, { enterpriseId: e.id, year: 2027, registrationNumber: `2027${e.province}${String(name.length).padStart(6, '0')}` }, e.principal);
      await eventually(async () => (await sys.client.call(I.quotaClaim, { enterpriseId: e.id, amountFen: 2_000_000 }, { principal: e.principal, idempotencyKey: key('q') })).ok, 20_000);
    }
    await ok(S.bankAccountSet, { ownerType: 'programme', ownerId: 'JS-2027', holderName: '江苏省科技资源统筹服务中心', accountNumber: '32001881236052500001', bankName: '示范银行', bankCode: '105301000123' }, ops.JS);
    await ok(S.bankAccountSet, { ownerType: 'programme', ownerId: 'ZJ-2027', holderName: '浙江省科技创新服务中心', accountNumber: '33001881236052500002', bankName: '示范银行', bankCode: '105331000456' }, ops.ZJ);
    await ledgerClean('2027 opened');
  });

  it('2027Q1–Q3: every quarter settled and reconciled', async () => {
    for (const q of [1, 2, 3] as const) await plainQuarter(2027, q);
  });

  it('2027Q4 → January 2028: the desk loads 2028 (a fixture) when warned in November; the last quarter settles; 2027 quota lapses; the programmes close', async () => {
    await at('2027-11-02T09:00:00+08:00');
    expect((await ok(S.calendarList, {}, ops.JS, false)).status).toMatchObject({ nextYear: 2028, nextYearLoaded: false, warnings: [expect.stringContaining('2028')] });
    const loaded = await settle(['calendar', 'load', '--delta', '--file', FIXTURE_2028_PATH], '2027-11-02T09:00:00+08:00');
    expect(loaded.code).toBe(0);
    expect((await ok(S.calendarList, {}, ops.JS, false)).status.warnings).toEqual([]);
    const runs = await plainQuarter(2027, 4);
    for (const r of runs) expect((await ok(S.runGet, { runId: r.id }, r.op, false)).publication.calendar).toEqual([{ year: 2028, version: 1 }]);
    await ok(R.quotaLapse, { year: 2027 }, ops.JS);
    await ok(R.quotaLapse, { year: 2027 }, ops.ZJ);
    for (const p of ['JS', 'ZJ'] as const) await ok(I.programmeClose, { programmeId: `${p}-2027` }, ops[p]);
    await ledgerClean('2027 closed');
    // every quarter ended with the ledger identities checked and holding
    expect(Object.keys(ledgerAfter)).toEqual(['2026 opened', '2026Q1', '2026Q2', '2026Q3', '2026Q4', '2027 opened', '2027Q1', '2027Q2', '2027Q3', '2027Q4', '2027 closed']);
  });
});
