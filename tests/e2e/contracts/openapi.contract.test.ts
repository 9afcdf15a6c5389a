import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { Principal, Role } from '@vc/contracts';
import { eventually, sql, TestSystem } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { readPain001, pain002 } from '../../fixtures/bank';
import { fixture2027 } from '../../fixtures/calendar';
import { newCreditCode } from '../../fixtures/credit-codes';
import { ContractClient } from '../../fixtures/openapi-contract';
import { auditor, deltaOperator, operatorOf, providerAccount, providerUnit, regionAdmin } from '../../fixtures/principals';
import { DeltaServices, SIMULATED_CLOCK, startDeltaServices } from '../../fixtures/services';
import { newInvoiceNumber } from '../../fixtures/invoices';

/**
 * The contract test of docs/openapi.json: every operation of the gateway is called, as the
 * principals that may use it, against the running system (all services, real PostgreSQL and
 * NATS), along the life of a quarter; every reply is checked against the document (status
 * documented, content type, body matching its schema with no undocumented field, money as
 * integers). Refusals met on the way are checked the same way.
 */
describe('contract: every HTTP operation answers as docs/openapi.json says (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let services: DeltaServices;
  let gateway: NestFastifyApplication;
  let api: ContractClient;

  beforeAll(async () => {
    sys = await TestSystem.start();
    services = await startDeltaServices(sys, SIMULATED_CLOCK);
    gateway = await bootstrapGateway(sys.config({ ...SIMULATED_CLOCK, DEV_SIGN_IN: 'true' }), false);
    api = new ContractClient(request(gateway.getHttpServer()));
  }, 120000);
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  /** Money keys of any reply body are JSON integers (R-MONEY-1), also inside free-form audit data. */
  function assertMoneyIsInteger(value: unknown, path = ''): void {
    if (Array.isArray(value)) return value.forEach((v, i) => assertMoneyIsInteger(v, `${path}.${i}`));
    if (!value || typeof value !== 'object') return;
    for (const [k, v] of Object.entries(value)) {
      if (/Fen$/.test(k) && v !== null && !Array.isArray(v)) expect([`${path}.${k}`, Number.isSafeInteger(v)]).toEqual([`${path}.${k}`, true]);
      assertMoneyIsInteger(v, `${path}.${k}`);
    }
  }

  it('walks a quarter through all operations; each reply matches the document', async () => {
    const js = operatorOf('JS');
    const anyone = null;
    const jsOperator = () => js;

    // ---- operations -------------------------------------------------------------------------
    for (const id of ['health', 'healthLive', 'healthReady']) await api.call(id, { as: anyone, status: 200 });
    const login = await api.call('devLogin', { as: anyone, body: { role: 'delta_operator', org: 'DELTA' }, status: 200 });
    expect(login.body.principal).toMatchObject({ role: 'delta_operator', org: 'DELTA' });

    // ---- the working-day calendar (2026 ships with the system; the desk loads the made-up 2027) ----
    const { year: _year, ...calendar2027 } = fixture2027();
    await api.call('loadCalendarYear', { as: deltaOperator, params: { year: 2027 }, body: calendar2027, status: 200 });
    await api.call('listCalendarYears', { as: jsOperator(), query: { history: true }, status: 200 });
    await api.call('getCalendarYear', { as: jsOperator(), params: { year: 2026 }, status: 200 });

    // ---- registry -----------------------------------------------------------------------------
    const apply = async (creditCode: string, body: Record<string, unknown>) =>
      (await api.call('applyProvider', { as: providerAccount(creditCode), body: { creditCode, ...body }, status: 201 })).body;
    const shCode = newCreditCode();
    const jsCode = newCreditCode();
    const otherCode = newCreditCode();
    const shCentre = await apply(shCode, { legalName: '上海示范大学', unitName: '分析测试中心', kind: 'testing_centre', province: 'SH' });
    const jsCollege = await apply(jsCode, { legalName: '南京示范大学', unitName: '材料科学与工程学院', kind: 'college', province: 'JS', contact: { name: '王老师', phone: '025-83790000' } });
    const beijing = await apply(otherCode, {
      legalName: '北京示范检测有限公司',
      unitName: '检测部',
      kind: 'testing_company',
      province: 'OTHER',
      provinceName: '北京市',
      qualificationDocuments: [{ name: 'CMA 资质认定证书', reference: 'CMA-2026-0421' }],
    });
    expect(beijing).toMatchObject({ status: 'pending_review', provinceName: '北京市' });
    await api.call('reviewProvider', { as: deltaOperator, params: { providerId: beijing.id }, body: { decision: 'approve' }, status: 200 });
    await api.call('getProvider', { as: providerUnit(shCentre.id), params: { providerId: shCentre.id }, status: 200 });
    const page = await api.call('listProviders', { as: js, query: { province: 'SH', kind: 'testing_centre', limit: 10, offset: 0 }, status: 200 });
    expect(page.body.items.map((p: { id: string }) => p.id)).toContain(shCentre.id);
    const negative = await api.call('listProviders', { as: js, query: { limit: -1 }, status: 400 });
    expect(negative.body).toEqual({ code: 'VALIDATION_FAILED', field: 'limit', message: 'limit must not be less than 1' });
    await api.call('publishService', { as: providerUnit(shCentre.id), params: { providerId: shCentre.id }, body: { category: 'testing', name: '场发射扫描电镜测试', priceFen: 80000, unit: '机时' }, status: 201 });
    await api.call('listServices', { as: anyoneAuthenticated(), query: { providerId: shCentre.id, category: 'testing' }, status: 200 });

    // ---- issuance -----------------------------------------------------------------------------
    const parameters = { offsetRateBp: 2500, annualCapFen: 10_000_000, budgetFen: 500_000_000, mode: 'provider_redeems', publicityWorkingDays: 5, matchingDeadlineMonths: 3, rewardRateBp: 500, rewardCapFen: 50_000_000 };
    const draft = (await api.call('createProgramme', { as: js, body: { year: 2026, ...parameters, budgetFen: 400_000_000 }, status: 201 })).body;
    expect(draft).toMatchObject({ id: 'JS-2026', status: 'draft', effectiveFrom: null });
    await api.call('changeProgramme', { as: js, params: { programmeId: 'JS-2026' }, body: parameters, status: 200 });
    await api.call('openProgramme', { as: js, params: { programmeId: 'JS-2026' }, status: 200 });
    await api.call('getProgramme', { as: js, params: { programmeId: 'JS-2026' }, status: 200 });
    await api.call('listProgrammes', { as: js, query: { province: 'JS', year: 2026 }, status: 200 });
    await api.call('listProgrammes', { as: anyone, status: 401 });
    const ah = operatorOf('AH');
    await api.call('createProgramme', { as: ah, body: { year: 2026, ...parameters }, status: 201 });
    await api.call('openProgramme', { as: ah, params: { programmeId: 'AH-2026' }, status: 200 });
    await api.call('closeProgramme', { as: ah, params: { programmeId: 'AH-2026' }, status: 200 });

    const suzhou = (await api.call('createRegion', { as: js, body: { name: '苏州工业园区', matchingRatio: '1.00' }, status: 201 })).body;
    await api.call('updateRegion', { as: js, params: { regionId: suzhou.id }, body: { matchingRatio: '0.50', reason: '市政府文件调整配套比例' }, status: 200 });
    await api.call('getRegion', { as: regionAdmin(suzhou.id), params: { regionId: suzhou.id }, status: 200 });
    await api.call('listRegions', { as: js, query: { province: 'JS', status: 'active' }, status: 200 });

    const entCode = newCreditCode('320594');
    const self: Principal = { sub: `user-${entCode}`, role: Role.Enterprise, org: entCode, province: 'JS' };
    const registered = (await api.call('registerEnterprise', { as: self, body: { creditCode: entCode, name: '苏州光子芯片科技有限公司', regionId: suzhou.id }, status: 201 })).body;
    await api.call('decideEnterprise', { as: regionAdmin(suzhou.id), params: { enterpriseId: registered.id }, body: { decision: 'approve' }, status: 200 });
    const ent: Principal = { ...self, org: registered.id };
    await api.call('setSmeRegistration', { as: ent, params: { enterpriseId: registered.id, year: 2026 }, body: { registrationNumber: '20263205000123' }, status: 200 });
    await api.call('getEnterprise', { as: ent, params: { enterpriseId: registered.id }, status: 200 });
    await api.call('listEnterprises', { as: regionAdmin(suzhou.id), query: { regionId: suzhou.id, status: 'approved', limit: 5 }, status: 200 });
    await api.call('claimQuota', { as: ent, params: { enterpriseId: registered.id }, body: { amountFen: 6_000_000 }, status: 201 });
    const over = await api.call('claimQuota', { as: ent, params: { enterpriseId: registered.id }, body: { amountFen: 5_000_000 }, status: 422 });
    expect(over.body.code).toBe('QUOTA_CAP_EXCEEDED');
    await api.call('getQuota', { as: ent, params: { enterpriseId: registered.id }, query: { year: 2026 }, status: 200 });

    // ---- the rest of the registry, now that there are programmes and enterprises ---------------
    await api.call('getProviderEligibility', { as: js, params: { providerId: beijing.id }, query: { programmeId: 'JS-2026' }, status: 200 });
    const complaint = (await api.call('fileComplaint', { as: ent, body: { providerId: shCentre.id, category: 'service_quality', description: '报告延迟交付' }, status: 201 })).body;
    await api.call('decideComplaint', { as: js, params: { complaintId: complaint.id }, body: { decision: 'dismiss', reason: '已按合同约定交付' }, status: 200 });
    await api.call('listComplaints', { as: deltaOperator, query: { providerId: shCentre.id, status: 'dismissed' }, status: 200 });
    const record = (await api.call('fileCreditRecord', { as: js, body: { creditCode: otherCode, severity: 'general', reason: '未按时报送检测数据', effectiveFrom: '2026-07-01' }, status: 201 })).body;
    const early = await api.call('repairCreditRecord', { as: js, params: { recordId: record.id }, body: { reason: '已整改' }, status: 422 });
    expect(early.body).toMatchObject({ code: 'CREDIT_REPAIR_TOO_EARLY', details: { earliestRepairDate: '2027-07-01' } });
    await api.call('listCreditRecords', { as: deltaOperator, query: { creditCode: otherCode }, status: 200 });
    await api.call('excludeProvider', { as: js, params: { providerId: beijing.id }, body: { programmeId: 'JS-2026', reason: '多次违规' }, status: 201 });
    await api.call('liftExclusion', { as: js, params: { providerId: beijing.id }, body: { programmeId: 'JS-2026', reason: '整改完成' }, status: 200 });

    // ---- redemption -------------------------------------------------------------------------
    await eventually(async () => {
      const b = await api.call('getBalance', { as: ent, params: { programmeId: 'JS-2026' }, status: 200 });
      return b.body.quota?.leftFen === 6_000_000;
    }, 20000);
    const order = async (provider: { id: string }, amountFen: number, description: string) =>
      (
        await eventually(async () => {
          const r = await api.call('createOrder', { as: providerUnit(provider.id), body: { providerId: provider.id, enterpriseId: registered.id, amountFen, description, externalRef: `PO-${Date.now()}` } });
          return r.status === 201 ? r : null;
        }, 20000)
      )!.body;
    const serve = async (provider: { id: string }, amountFen: number, invoiceNumber: string) => {
      const o = await order(provider, amountFen, '扫描电镜测试');
      expect(o).toMatchObject({ status: 'created', programmeVersion: null, mode: null, offsetRateBp: null, enterprisePaysFen: null, confirmedAt: null });
      await api.call('getOrder', { as: ent, params: { orderId: o.id }, status: 200 });
      await api.call('confirmOrder', { as: providerUnit(provider.id), params: { orderId: o.id }, status: 200 });
      await api.call('confirmOrder', { as: ent, params: { orderId: o.id }, status: 200 });
      await api.call('quoteVoucher', { as: ent, params: { orderId: o.id }, status: 200 });
      const key = `pay-${o.id}`;
      const paid = (await api.call('payOrder', { as: ent, params: { orderId: o.id }, key, status: 200 })).body;
      expect((await api.call('payOrder', { as: ent, params: { orderId: o.id }, key, status: 200 })).body).toEqual(paid);
      await api.call('completeOrder', { as: providerUnit(provider.id), params: { orderId: o.id }, status: 200 });
      const claim = (
        await api.call('submitClaim', {
          as: providerUnit(provider.id),
          body: { orderId: o.id, contractRef: `HT-${o.id.slice(0, 8)}`, invoiceNumber, invoiceAmountFen: amountFen, bankTransferRef: `BK-${o.id.slice(0, 8)}`, bankAmountFen: paid.enterprisePaysFen },
          status: 201,
        })
      ).body;
      return { order: o, paid, claim };
    };
    const first = await serve(shCentre, 1_234_567, newInvoiceNumber());
    expect(first.paid).toMatchObject({ voucherFen: 308_641, enterprisePaysFen: 925_926 });
    const second = await serve(jsCollege, 800_000, newInvoiceNumber());
    await api.call('payOrder', { as: ent, params: { orderId: second.order.id }, key: null, status: 400 });
    await api.call('amendClaim', { as: providerUnit(jsCollege.id), params: { claimId: second.claim.id }, body: { contractRef: 'HT-2026-002', reason: '合同编号录入错误' }, status: 200 });
    await api.call('getClaim', { as: providerUnit(shCentre.id), params: { claimId: first.claim.id }, status: 200 });
    await api.call('listClaims', { as: ent, query: { status: 'pending_review', programmeId: 'JS-2026', limit: 10 }, status: 200 });
    await api.call('listOrders', { as: ent, query: { status: 'completed', limit: 10, offset: 0 }, status: 200 });
    const third = await order(shCentre, 50_000, '能谱分析');
    await api.call('cancelOrder', { as: providerUnit(shCentre.id), params: { orderId: third.id }, body: { reason: '客户取消服务' }, status: 200 });
    const stranger = { sub: 'user-x', role: Role.Enterprise, org: '00000000-0000-4000-8000-000000000001', province: 'JS' as const };
    await api.call('getOrder', { as: stranger, params: { orderId: first.order.id }, status: 404 });

    await api.call('getReadiness', { as: auditor, query: { programmeId: 'JS-2026', providerId: shCentre.id }, status: 200 });
    // ---- settlement: the 2026Q3 run of Jiangsu ------------------------------------------------
    await eventually(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.claims WHERE programme_id = 'JS-2026'`))[0].n === 2, 20000);
    const early2 = await api.call('startRun', { as: js, body: { programmeId: 'JS-2026', quarter: '2026Q3' }, status: 422 });
    expect(early2.body.code).toBe('QUARTER_NOT_ENDED');
    services.setNow('2026-10-09T10:00:00+08:00');
    const run = (await api.call('startRun', { as: js, body: { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 0 }, status: 201 })).body;
    expect(run).toMatchObject({ collectedCount: 2, publication: null });
    await api.call('listRuns', { as: js, query: { programmeId: 'JS-2026', quarter: '2026Q3', state: 'review' }, status: 200 });
    await api.call('listRunClaims', { as: js, params: { runId: run.id }, query: { state: 'in_review', sampled: false, limit: 100 }, status: 200 });
    await api.call('reviewRun', { as: js, params: { runId: run.id }, body: { approveAll: true }, status: 200 });
    await api.call('publishRun', { as: js, params: { runId: run.id }, status: 200 });
    await api.call('getRun', { as: auditor, params: { runId: run.id }, status: 200 });
    await api.call('listPublicity', { as: anyone, query: { programmeId: 'JS-2026' }, status: 200 });
    const list = (await api.call('getPublicityList', { as: anyone, params: { runId: run.id }, query: { limit: 100, offset: 0 }, status: 200 })).body;
    await api.call('getPublicityNotice', { as: anyone, params: { runId: run.id }, status: 200 });
    await api.call('getPublicityFile', { as: anyone, params: { runId: run.id, format: 'csv' }, status: 200 });
    const target = list.items.find((i: { claimId: string }) => i.claimId === first.claim.id);
    const objection = (
      await api.call('fileObjection', {
        as: anyone,
        params: { runId: run.id },
        body: { claimId: target.claimId, objectorName: '张先生', objectorContact: '13800000000', reason: '该服务合同金额与市场价格明显不符' },
        status: 201,
      })
    ).body;
    // a second objector to the same claim: the desk decides one objection, then the claim's others at once
    await api.call('fileObjection', {
      as: anyone,
      params: { runId: run.id },
      body: { claimId: target.claimId, objectorName: '李女士', objectorContact: 'li.nvshi@example.com', reason: '发票金额与合同不符' },
      status: 201,
    });
    const duplicate = await api.call('fileObjection', {
      as: anyone,
      params: { runId: run.id },
      body: { claimId: target.claimId, objectorName: '张先生', objectorContact: '138-0000-0000', reason: '再次提出' },
      status: 409,
    });
    expect(duplicate.body).toMatchObject({ code: 'ALREADY_EXISTS', field: 'objectorContact', details: { objectionId: objection.id } });
    await api.call('listObjections', { as: js, query: { runId: run.id, status: 'open', claimId: target.claimId }, status: 200 });
    // the accounts the run's pain.001 file names (ADR 0009)
    await api.call('setBankAccount', {
      as: js,
      params: { ownerType: 'programme', ownerId: 'JS-2026' },
      body: { holderName: '江苏省科技资源统筹服务中心', accountNumber: '32001881236052500001', bankName: '中国建设银行南京城南支行', bankCode: '105301000123' },
      status: 200,
    });
    await api.call('setBankAccount', {
      as: providerUnit(jsCollege.id),
      params: { ownerType: 'provider', ownerId: jsCollege.id },
      body: { holderName: '南京示范大学', holderCreditCode: jsCode, accountNumber: '32001600000050033333', bankName: '中国农业银行南京鼓楼支行', bankCode: '103301000333' },
      status: 200,
    });
    await api.call('getBankAccount', { as: js, params: { ownerType: 'provider', ownerId: jsCollege.id }, status: 200 });
    await api.call('getBankAccount', { as: providerUnit(shCentre.id), params: { ownerType: 'provider', ownerId: jsCollege.id }, status: 404 });
    const tooEarly = await api.call('disburseRun', { as: js, params: { runId: run.id }, status: 422 });
    expect(tooEarly.body.code).toBe('PUBLICITY_OPEN');
    services.setNow('2026-10-16T09:00:00+08:00');
    await api.call('decideObjection', { as: js, params: { objectionId: objection.id }, body: { decision: 'dismiss', reason: '经核查服务真实，价格合理' }, status: 200 });
    const decided = await api.call('decideClaimObjections', { as: js, params: { runId: run.id, claimId: target.claimId }, body: { decision: 'dismiss', reason: '经核查服务真实，价格合理' }, status: 200 });
    expect(decided.body).toMatchObject({ outcome: 'dismissed', objectionsDecided: 1, claimState: 'deferred' });
    const disbursed = (await api.call('disburseRun', { as: js, params: { runId: run.id }, key: `disburse-${run.id}`, status: 200 })).body;
    expect(disbursed).toMatchObject({ state: 'completed', instructionCount: 1 });
    expect((await api.call('disburseRun', { as: js, params: { runId: run.id }, key: `disburse-${run.id}`, status: 200 })).body).toEqual(disbursed);
    await api.call('listInstructions', { as: js, params: { runId: run.id }, query: { limit: 10, offset: 0 }, status: 200 });
    await api.call('exportRun', { as: js, params: { runId: run.id, kind: 'instructions', format: 'csv' }, status: 200 });
    const file = await api.call('exportRun', { as: js, params: { runId: run.id, kind: 'instructions', format: 'xml' }, status: 200 });
    const sent = readPain001(file.text || Buffer.from(file.body).toString('utf8'));
    const answer = (await api.call('importBankReport', { as: js, body: { content: pain002(sent, { [sent.transfers[0].endToEndId]: { status: 'ACSC' } }) }, status: 200 })).body;
    expect(answer).toMatchObject({ appliedCount: 1, entries: [{ status: 'settled', outcome: 'applied' }] });
    await api.call('exportRun', { as: js, params: { runId: run.id, kind: 'statement', format: 'xlsx' }, status: 200 });
    await api.call('getStatement', { as: deltaOperator, query: { quarter: '2026Q3', detail: true }, status: 200 });
    await api.call('exportStatement', { as: deltaOperator, params: { quarter: '2026Q3', format: 'csv' }, status: 200 });

    const owed = (await api.call('getMatchingReport', { as: regionAdmin(suzhou.id), query: { regionId: suzhou.id, limit: 10 }, status: 200 })).body;
    expect(owed.obligations).toHaveLength(1);
    const obligation = owed.obligations[0];
    await api.call('recordMatchingPayments', { as: regionAdmin(suzhou.id), body: { items: [{ obligationId: obligation.id, amountFen: obligation.amountFen }], paidOn: '2026-10-16', reference: 'SZ-MATCH-001' }, status: 201 });
    await api.call('checkMatching', { as: deltaOperator, body: { note: 'weekly overdue check' }, status: 200 });
    await api.call('gradeProvider', { as: js, body: { programmeId: 'JS-2026', year: 2026, providerId: jsCollege.id, grade: 'excellent' }, status: 200 });
    expect((await api.call('computeRewards', { as: js, body: { programmeId: 'JS-2026', year: 2026 }, status: 422 })).body.code).toBe('YEAR_NOT_CLOSED');

    // ---- after the year ---------------------------------------------------------------------
    services.setNow('2027-01-05T10:00:00+08:00');
    await api.call('lapseQuota', { as: js, body: { year: 2026, programmeId: 'JS-2026' }, status: 200 });
    await api.call('computeRewards', { as: js, body: { programmeId: 'JS-2026', year: 2026 }, status: 200 });
    await api.call('listRewards', { as: js, query: { programmeId: 'JS-2026', year: 2026 }, status: 200 });
    await api.call('exportRewards', { as: js, params: { format: 'xlsx' }, query: { programmeId: 'JS-2026', year: 2026 }, status: 200 });
    services.setNow('2027-07-02T10:00:00+08:00');
    await api.call('repairCreditRecord', { as: js, params: { recordId: record.id }, body: { reason: '已整改并通过复核' }, status: 200 });

    // ---- audit logs, money included ---------------------------------------------------------
    for (const id of ['listRegistryAudit', 'listIssuanceAudit', 'listRedemptionAudit', 'listSettlementAudit']) {
      const log = await api.call(id, { as: auditor, query: { limit: 500 }, status: 200 });
      expect(log.body.items.length).toBeGreaterThan(0);
      assertMoneyIsInteger(log.body);
    }
    await api.call('listRegistryAudit', { as: ent, status: 403 });

    // ---- quarantine: events a service did not apply (none in an honest quarter) ---------------
    for (const id of ['listIssuanceQuarantine', 'listRedemptionQuarantine', 'listSettlementQuarantine']) {
      const page = await api.call(id, { as: auditor, query: { limit: 100 }, status: 200 });
      expect(page.body).toEqual({ items: [], nextAfter: null });
    }
    await api.call('listSettlementQuarantine', { as: ent, status: 403 });

    // every operation of the document answered with success at least once
    const missing = [...api.operations.keys()].filter((id) => !api.succeeded.has(id));
    expect(missing).toEqual([]);
  }, 300000);

  it('the running gateway serves the published documents: /docs-json and, beside it, /docs/asyncapi.json', async () => {
    const http = request(gateway.getHttpServer());
    const openapi = await http.get('/docs-json').expect(200);
    expect(openapi.body).toEqual(JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'docs', 'openapi.json'), 'utf8')));
    const asyncapi = await http.get('/docs/asyncapi.json').expect(200).expect('content-type', /application\/json/);
    expect(asyncapi.body).toEqual(JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'docs', 'asyncapi.json'), 'utf8')));
  });

  /** Any principal with a token (the registry is readable by all of them). */
  function anyoneAuthenticated(): Principal {
    return { sub: 'user-any', role: Role.Auditor, org: 'AUDIT' };
  }
});
