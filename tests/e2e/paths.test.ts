import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Principal, Subjects } from '@vc/contracts';
import { eventually, sql, TestSystem } from '@vc/testing';
import { readPain001 } from '../fixtures/bank';
import { newCreditCode } from '../fixtures/credit-codes';
import { newInvoiceNumber } from '../fixtures/invoices';
import { approvedEnterprise, createRegion, key, openProgramme } from '../fixtures/issuance';
import { deltaOperator, operatorOf, providerAccount, providerUnit, regionAdmin } from '../fixtures/principals';
import { DeltaServices, Party, quotaArrived, startDeltaServices } from '../fixtures/services';
import { settledLedger, simPool } from '../fixtures/simulation';

const { registry: G, issuance: I, redemption: R, settlement: T } = Subjects;
const ROOT = join(__dirname, '..', '..');

/**
 * Paths of the rules that no other test walked to the end, through all services with their real
 * event flow (real PostgreSQL + NATS, simulated business clock):
 * - an enterprise-reimbursed programme (AH) settled end to end: the enterprise pays in full,
 *   claims, and is the payee of the run's instruction and bank file, whose money the statement
 *   shows and on whose V its region's matching is owed and paid (R-CLAIM-1, R-PAY-1, R-CLEAR-1,
 *   R-MATCH-1);
 * - a provider revoked after an order was paid still completes it, claims and is paid (R-REG-3);
 * - `npm run ledger:check` on these books: 0 when they balance, 1 on a difference, 2 when it
 *   cannot read them (R-LEDGER-1);
 * - the records these flows wrote in issuance and settlement cannot be changed or removed
 *   (R-AUDIT-1).
 */
describe('e2e: the reimbursed mode, a revoked provider, the ledger check and append-only records (all services, real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let services: DeltaServices;
  const ok = (subject: string, body: unknown, principal: Principal) => sys.client.ok(subject, body, { principal, idempotencyKey: key('paths') });
  const q = (text: string, params: unknown[] = []) => sql(sys.db.url, text, params);

  const AH = operatorOf('AH');
  const JS = operatorOf('JS');
  const world = {
    hefei: '',
    suzhou: '',
    ah: { id: '', principal: null as unknown as Principal, name: '' },
    js: { id: '', principal: null as unknown as Principal },
    centre: { id: '', principal: null as unknown as Principal, name: '' },
    college: { id: '', principal: null as unknown as Principal },
    lab: { id: '', principal: null as unknown as Principal, name: '' },
    reimbursed: [] as Array<{ orderId: string; voucherFen: number; amountFen: number; claimId: string }>,
    revokedClaim: { orderId: '', voucherFen: 0, claimId: '' },
    runs: {} as Record<'AH' | 'JS', { id: string; op: Principal }>,
  };

  async function admit(province: 'SH' | 'JS' | 'ZJ', legalName: string, unitName: string, kind: string) {
    const code = newCreditCode();
    const p = await ok(G.providerApply, { creditCode: code, legalName, unitName, kind, province }, providerAccount(code));
    expect(p.status).toBe('active');
    return { id: p.id as string, principal: providerAccount(code), name: legalName };
  }

  /** An order served and paid: created as soon as redemption knows both, confirmed by both, paid by the enterprise. */
  async function paid(provider: Party, ent: Party, amountFen: number) {
    const created = await eventually(async () => {
      const r = await sys.client.call(R.orderCreate, { providerId: provider.id, enterpriseId: ent.id, amountFen, description: '大型仪器机时' }, { principal: provider.principal, idempotencyKey: key() });
      return r.ok ? r.data : null;
    }, 20_000);
    await ok(R.orderConfirm, { orderId: created.id }, provider.principal);
    await ok(R.orderConfirm, { orderId: created.id }, ent.principal);
    return ok(R.orderPay, { orderId: created.id }, ent.principal);
  }

  const evidence = (amountFen: number, bankAmountFen: number) => ({
    contractRef: key('HT'),
    invoiceNumber: newInvoiceNumber(),
    invoiceAmountFen: amountFen,
    bankTransferRef: key('BK'),
    bankAmountFen,
  });

  beforeAll(async () => {
    sys = await TestSystem.start();
    services = await startDeltaServices(sys, { CLOCK_MODE: 'simulated', SIMULATED_NOW: '2026-07-06T09:00:00+08:00' });
  }, 120_000);
  afterAll(async () => sys?.stop());

  it('July: AH reimburses its enterprise (it pays in full and claims); a JS order is paid, then its provider is revoked, completes it and claims (R-CLAIM-1, R-REG-3)', async () => {
    world.centre = await admit('SH', '上海示范大学', '分析测试中心', 'testing_centre');
    world.college = await admit('JS', '南京示范大学', '材料学院', 'college');
    world.lab = await admit('ZJ', '浙江示范研究院', '重点实验室', 'key_laboratory');
    await openProgramme(sys.client, 'AH', 2026, { budgetFen: 100_000_000, mode: 'enterprise_reimbursed' });
    await openProgramme(sys.client, 'JS', 2026, { budgetFen: 100_000_000 });
    world.hefei = (await createRegion(sys.client, 'AH', '合肥高新区', '0.50')).id;
    world.suzhou = (await createRegion(sys.client, 'JS', '苏州工业园区', '1.00')).id;
    const ah = await approvedEnterprise(sys.client, world.hefei, 'AH', 2026, '合肥量子测控科技有限公司');
    const js = await approvedEnterprise(sys.client, world.suzhou, 'JS', 2026, '苏州光子芯片科技有限公司');
    world.ah = { id: ah.id, principal: ah.principal, name: '合肥量子测控科技有限公司' };
    world.js = { id: js.id, principal: js.principal };
    await ok(I.quotaClaim, { enterpriseId: ah.id, amountFen: 5_000_000 }, ah.principal);
    await ok(I.quotaClaim, { enterpriseId: js.id, amountFen: 5_000_000 }, js.principal);
    await quotaArrived(sys.client, 'AH-2026', world.ah, 5_000_000);
    await quotaArrived(sys.client, 'JS-2026', world.js, 5_000_000);

    // AH, enterprise_reimbursed: the enterprise pays A in full and is reimbursed V
    for (const [provider, amountFen] of [[world.centre, 400_000], [world.college, 200_000]] as const) {
      const order = await paid(provider, world.ah, amountFen);
      expect(order).toMatchObject({ mode: 'enterprise_reimbursed', voucherFen: amountFen / 4, enterprisePaysFen: amountFen });
      await ok(R.orderComplete, { orderId: order.id }, provider.principal);
      // R-CLAIM-1: the enterprise is the redeeming party; the provider may not claim its voucher
      const byProvider = await sys.client.call(R.claimSubmit, { orderId: order.id, ...evidence(amountFen, amountFen) }, { principal: provider.principal, idempotencyKey: key() });
      expect(byProvider).toMatchObject({ ok: false, error: { field: 'orderId' } });
      const claim = await ok(R.claimSubmit, { orderId: order.id, ...evidence(amountFen, amountFen) }, world.ah.principal);
      expect(claim).toMatchObject({ payeeType: 'enterprise', payeeId: world.ah.id, voucherFen: amountFen / 4 });
      world.reimbursed.push({ orderId: order.id, voucherFen: amountFen / 4, amountFen, claimId: claim.id });
    }

    // JS, provider_redeems: paid at the Zhejiang lab, which is then revoked (three upheld complaints)
    const order = await paid(world.lab, world.js, 600_000);
    for (let i = 1; i <= 3; i++) {
      const complaint = await ok(G.complaintFile, { providerId: world.lab.id, category: 'violation', description: `第${i}次违规收费` }, world.js.principal);
      await ok(G.complaintDecide, { complaintId: complaint.id, decision: 'uphold', reason: '经核实属实' }, deltaOperator);
    }
    expect((await ok(G.providerGet, { providerId: world.lab.id }, deltaOperator)).status).toBe('revoked');
    // revocation stops new voucher orders at once (once redemption has heard of it)
    await eventually(async () => {
      const r = await sys.client.call(R.orderCreate, { providerId: world.lab.id, enterpriseId: world.js.id, amountFen: 100_000, description: '复测' }, { principal: world.lab.principal, idempotencyKey: key() });
      return !r.ok && r.error.code === 'PROVIDER_NOT_ACTIVE' && r.error.message === 'provider is revoked';
    }, 20_000);
    // the order paid before still completes and is claimed by the lab
    expect((await ok(R.orderComplete, { orderId: order.id }, world.lab.principal)).status).toBe('completed');
    const claim = await ok(R.claimSubmit, { orderId: order.id, ...evidence(600_000, order.enterprisePaysFen) }, world.lab.principal);
    expect(claim).toMatchObject({ payeeType: 'provider', payeeId: world.lab.id, voucherFen: 150_000 });
    world.revokedClaim = { orderId: order.id, voucherFen: 150_000, claimId: claim.id };

    // the accounts the payment files name: AH's paying account and the enterprise's; JS's and the lab's
    // (settlement takes a payee's account once it has heard of the payee)
    const account = (body: Record<string, string>, principal: Principal) =>
      eventually(async () => (await sys.client.call(T.bankAccountSet, body, { principal, idempotencyKey: key() })).ok, 20_000);
    await account({ ownerType: 'programme', ownerId: 'AH-2026', holderName: '安徽省科技创新券专户', accountNumber: '34001881236052500001', bankName: '中国建设银行合肥分行', bankCode: '105361000123' }, AH);
    await account({ ownerType: 'enterprise', ownerId: world.ah.id, holderName: world.ah.name, accountNumber: '34001600000050077777', bankName: '徽商银行合肥高新区支行', bankCode: '319361000777' }, world.ah.principal);
    await account({ ownerType: 'programme', ownerId: 'JS-2026', holderName: '江苏省科技创新券专户', accountNumber: '32001881236052500002', bankName: '中国建设银行南京分行', bankCode: '105301000123' }, JS);
    await account({ ownerType: 'provider', ownerId: world.lab.id, holderName: world.lab.name, accountNumber: '33001600000050088888', bankName: '中国工商银行杭州分行', bankCode: '102331000888' }, providerUnit(world.lab.id));
  });

  it('October: both runs collected, approved, published and disbursed after the window', async () => {
    services.setNow('2026-10-09T10:00:00+08:00');
    for (const [province, op, expected] of [['AH', AH, 2], ['JS', JS, 1]] as const) {
      const programmeId = `${province}-2026`;
      await eventually(async () => (await q(`SELECT count(*)::int AS n FROM settlement.claims WHERE programme_id = $1`, [programmeId]))[0].n === expected, 20_000);
      const run = await ok(T.runStart, { programmeId, quarter: '2026Q3', sampleRateBp: 0 }, op);
      expect(run.collectedCount).toBe(expected);
      await ok(T.runReview, { runId: run.id, approveAll: true }, op);
      await ok(T.runPublish, { runId: run.id }, op);
      world.runs[province] = { id: run.id, op };
    }
    services.setNow('2026-10-16T09:00:00+08:00');
    for (const run of Object.values(world.runs)) expect((await ok(T.runDisburse, { runId: run.id }, run.op)).state).toBe('completed');
  });

  it('R-PAY-1, R-CLEAR-1, R-MATCH-1: the reimbursed enterprise is the payee of the instruction and the bank file, the statement shows that money, its region owes and pays the matching', async () => {
    const run = world.runs.AH;
    const v = world.reimbursed.reduce((s, c) => s + c.voucherFen, 0);
    expect(v).toBe(150_000);

    // R-PAY-1: one instruction, to the enterprise, summing V of its two claims
    const instructions = await ok(T.instructionList, { runId: run.id }, run.op);
    expect(instructions.items).toEqual([expect.objectContaining({ payeeType: 'enterprise', payeeId: world.ah.id, payeeName: world.ah.name, claimCount: 2, totalFen: v, kind: 'run' })]);
    const file = readPain001(Buffer.from((await ok(T.exportGet, { runId: run.id, kind: 'instructions', format: 'xml' }, run.op)).content, 'base64').toString('utf8'));
    expect(file.debtorAccount).toBe('34001881236052500001');
    expect(file.transfers).toEqual([expect.objectContaining({ creditor: world.ah.name, account: '34001600000050077777', bankCode: '319361000777', amount: '1500.00' })]);

    // R-CLEAR-1: the statement gives the money by the providers' provinces, and equals the instruction
    const statement = await ok(T.statementGet, { runId: run.id, detail: true }, run.op);
    expect(statement).toMatchObject({ totalCount: 2, totalFen: v, instructionFen: v });
    const cells = statement.cells.filter((c: { claimCount: number }) => c.claimCount > 0);
    expect(cells.map((c: { programmeId: string; providerProvince: string; claimCount: number; totalFen: number }) => [c.programmeId, c.providerProvince, c.claimCount, c.totalFen]).sort()).toEqual([
      ['AH-2026', 'JS', 1, 50_000],
      ['AH-2026', 'SH', 1, 100_000],
    ]);

    // R-MATCH-1: Hefei owes its enterprise floor(V × 0.50) per claim, and pays it
    const admin = regionAdmin(world.hefei, 'AH');
    const report = await ok(T.matchingReport, { regionId: world.hefei }, admin);
    expect(report.obligations).toEqual([expect.objectContaining({ runId: run.id, enterpriseId: world.ah.id, claimCount: 2, voucherFen: v, amountFen: 75_000, paidFen: 0 })]);
    const [obligation] = report.obligations;
    await ok(T.matchingRecord, { items: [{ obligationId: obligation.id, amountFen: 75_000 }], paidOn: '2026-10-16', reference: 'HF-MATCH-2026Q3' }, admin);
    expect((await ok(T.matchingReport, { regionId: world.hefei }, admin)).obligations).toEqual([expect.objectContaining({ id: obligation.id, paidFen: 75_000, outstandingFen: 0 })]);

    // redemption holds the enterprise's claims paid, and the books balance
    await eventually(async () => (await q(`SELECT count(*)::int AS n FROM redemption.claims WHERE id = ANY($1::uuid[]) AND status = 'paid'`, [world.reimbursed.map((c) => c.claimId)]))[0].n === 2, 20_000);
    const pool = simPool(sys.db.url);
    try {
      const settled = await settledLedger(sys.client, pool, sys.db.url, 30_000);
      expect([settled.ok, settled.report.filter((r) => r.status === 'differs')]).toEqual([true, []]);
    } finally {
      await pool.end();
    }
  });

  it('R-REG-3: the provider revoked after its order was paid is paid for it', async () => {
    const run = world.runs.JS;
    const instructions = await ok(T.instructionList, { runId: run.id }, run.op);
    expect(instructions.items).toEqual([expect.objectContaining({ payeeType: 'provider', payeeId: world.lab.id, claimCount: 1, totalFen: world.revokedClaim.voucherFen })]);
    const file = readPain001(Buffer.from((await ok(T.exportGet, { runId: run.id, kind: 'instructions', format: 'xml' }, run.op)).content, 'base64').toString('utf8'));
    expect(file.transfers).toEqual([expect.objectContaining({ creditor: world.lab.name, account: '33001600000050088888', amount: '1500.00' })]);
    await eventually(async () => (await q(`SELECT status FROM redemption.claims WHERE id = $1`, [world.revokedClaim.claimId]))[0].status === 'paid', 20_000);
    expect((await ok(G.providerGet, { providerId: world.lab.id }, deltaOperator)).status).toBe('revoked');
  });

  describe('R-LEDGER-1: npm run ledger:check on these books', () => {
    const check = (url: string) => spawnSync('npm', ['run', '--silent', 'ledger:check'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8', timeout: 120_000 });
    const QUOTA_IDENTITY = 'redemption: quota left = granted − used + returned − lapsed (per enterprise and programme)';

    it('R-LEDGER-1: exits 0 when every identity holds, 1 on a difference it names, 2 when it cannot read the books', async () => {
      const balanced = check(sys.db.url);
      expect([balanced.status, balanced.stderr]).toEqual([0, '']);
      expect(balanced.stdout).toMatch(/\n(\d+) identities checked, 0 with differences/);
      expect(balanced.stdout).not.toContain('DIFFERS');

      // a forged balance: the enterprise's quota left is one fen less than its ledger says
      const forge = (delta: number) => q(`UPDATE redemption.quota_balance SET left_fen = left_fen + $2 WHERE enterprise_id = $1 AND programme_id = 'AH-2026'`, [world.ah.id, delta]);
      await forge(-1);
      try {
        const differs = check(sys.db.url);
        expect(differs.status).toBe(1);
        expect(differs.stdout).toContain(`DIFFERS ${QUOTA_IDENTITY}`);
        expect(differs.stdout).toContain(world.ah.id);
        expect(differs.stdout).toMatch(/identities checked, 1 with differences/);
      } finally {
        await forge(+1);
      }
      expect(check(sys.db.url).status).toBe(0);

      const unreadable = check(`${sys.db.url}_missing`);
      expect(unreadable.status).toBe(2);
      expect(unreadable.stderr).toContain('ledger check failed to run');
    }, 240_000);
  });

  it('R-AUDIT-1: what issuance and settlement recorded here cannot be changed or removed, not even by their own connections', async () => {
    const records = [
      'issuance.audit_log',
      'issuance.ledger_entries',
      'issuance.quota_claims',
      'settlement.audit_log',
      'settlement.statement_lines',
      'settlement.matching_payments',
      'settlement.bank_accounts',
    ];
    for (const table of records) {
      const [{ n: before }] = await q(`SELECT count(*)::int AS n FROM ${table}`);
      expect([table, before > 0]).toEqual([table, true]);
      const [{ column_name: column }] = await q(
        `SELECT column_name FROM information_schema.columns WHERE table_schema || '.' || table_name = $1 ORDER BY ordinal_position LIMIT 1`,
        [table],
      );
      await expect(q(`UPDATE ${table} SET "${column}" = "${column}"`)).rejects.toThrow(/append-only/);
      await expect(q(`DELETE FROM ${table}`)).rejects.toThrow(/append-only/);
      await expect(q(`TRUNCATE ${table} CASCADE`)).rejects.toThrow(/append-only/);
      expect([table, (await q(`SELECT count(*)::int AS n FROM ${table}`))[0].n]).toEqual([table, before]);
    }
  });
});
