import 'reflect-metadata';
/**
 * The README demo: plays the voucher lifecycle against the running system through the HTTP
 * gateway, as the real parties would, and prints what happens.
 */
import { execFileSync } from 'node:child_process';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { makeCreditCode, makeDigitalInvoiceNumber } from '@vc/domain';
import { Province, Role } from '@vc/contracts';
import { devToken } from '../dev-token';
import { DemoClient } from './http';
import { DemoNats, until } from './nats';
import { heading, step, table, yuan } from './print';
import { localSecretsDir } from '../local-nats';
import { providerCertificate } from '../secrets';

const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000';
const api = new DemoClient(gateway);

const desk = { sub: 'desk-demo', role: Role.DeltaOperator, org: 'DELTA' };
const operator = (province: Province) => ({ sub: `op-${province}`, role: Role.ProgrammeOperator, org: province, province });

/** A fresh legal entity per demo run, so the demo can be played again on the same database. */
function code(division: string): string {
  const serial = (Date.now() % 1e8).toString().padStart(8, '0');
  return makeCreditCode(`12${division}${serial}${Math.floor(Math.random() * 10)}`);
}

async function registryWalk() {
  heading('1. Provider registry (R-REG-1..4)');
  const entities = {
    sh: code('310000'),
    js: code('320100'),
    zj: code('330100'),
    other: code('110000'),
  };
  const apply = (creditCode: string, body: Record<string, unknown>) =>
    api.call({ sub: `acct-${creditCode}`, role: Role.Provider, org: creditCode }, 'POST', '/v1/providers', { creditCode, ...body });

  const shCentre = await apply(entities.sh, { legalName: '上海示范大学', unitName: '分析测试中心', kind: 'testing_centre', province: 'SH' });
  const jsCollege = await apply(entities.js, { legalName: '南京示范大学', unitName: '材料科学与工程学院', kind: 'college', province: 'JS' });
  const jsCollege2 = await apply(entities.js, { legalName: '南京示范大学', unitName: '化学化工学院', kind: 'college', province: 'JS' });
  const zjLab = await apply(entities.zj, { legalName: '浙江示范研究院', unitName: '省重点实验室', kind: 'key_laboratory', province: 'ZJ' });
  const beijing = await apply(entities.other, {
    legalName: '北京示范检测有限公司',
    unitName: '检测部',
    kind: 'testing_company',
    province: 'OTHER',
    provinceName: '北京市',
    qualificationDocuments: [{ name: 'CMA 资质认定证书', reference: 'CMA-2026-0421' }],
  });
  step('priority kinds are admitted at once; a testing company from Beijing waits for review');
  table([shCentre, jsCollege, jsCollege2, zjLab, beijing].map((p) => ({ unit: `${p.legalName} ${p.unitName}`, province: p.province === 'OTHER' ? p.provinceName : p.province, kind: p.kind, status: p.status })));

  const reviewed = await api.call(desk, 'POST', `/v1/providers/${beijing.id}/review`, { decision: 'approve' });
  step(`the delta desk reviews its documents and admits it: ${reviewed.status}`);

  const bad = await api.refused(desk, 'POST', '/v1/providers', { creditCode: entities.sh.slice(0, 17) + (entities.sh[17] === '0' ? '1' : '0'), legalName: 'x', unitName: 'y', kind: 'college', province: 'SH' });
  step(`a credit code with a wrong check character is refused: ${bad.status} ${bad.code} (${bad.field})`);

  const offering = await api.call({ sub: 'sys-sh', role: Role.Provider, org: shCentre.id }, 'POST', `/v1/providers/${shCentre.id}/services`, {
    category: 'testing',
    name: '场发射扫描电镜测试',
    priceFen: 80000,
    unit: '机时',
  });
  step(`${shCentre.unitName} publishes "${offering.name}" at ${offering.priceFen} fen per ${offering.unit}`);

  const record = await api.call(operator('AH'), 'POST', '/v1/credit-records', {
    creditCode: entities.other,
    severity: 'serious',
    reason: '提供虚假检测报告',
    effectiveFrom: '2026-07-01',
  });
  step(`Anhui files a serious credit record against the Beijing company: ${record.suspendedUnits.length} unit(s) suspended in every programme`);
  const eligibility = await api.call(operator('JS'), 'GET', `/v1/providers/${beijing.id}/eligibility`, undefined, { programmeId: 'JS-2026' });
  step(`may it take Jiangsu vouchers? ${eligibility.eligible ? 'yes' : `no (${eligibility.reason})`}`);

  return { shCentre, jsCollege, jsCollege2, zjLab, beijing };
}

const PROGRAMME = {
  offsetRateBp: 2500,
  annualCapFen: 10_000_000,
  mode: 'provider_redeems',
  publicityWorkingDays: 5,
  matchingDeadlineMonths: 3,
  rewardRateBp: 500,
  rewardCapFen: 50_000_000,
};

/** Opens the province's programme for the year, or reuses it when the demo is played again. */
async function ensureProgramme(province: Province, year: number, budgetFen: number) {
  const existing = await api.call(operator(province), 'GET', `/v1/programmes`, undefined, { province, year: String(year) });
  let programme = existing.items[0];
  if (!programme) programme = await api.call(operator(province), 'POST', '/v1/programmes', { year, budgetFen, ...PROGRAMME });
  if (programme.status === 'draft') programme = await api.call(operator(province), 'POST', `/v1/programmes/${programme.id}/open`);
  return programme;
}

async function ensureRegion(province: Province, name: string, matchingRatio = '1.00') {
  const { items } = await api.call(operator(province), 'GET', '/v1/regions', undefined, { province });
  return items.find((r: { name: string }) => r.name === name) ?? api.call(operator(province), 'POST', '/v1/regions', { name, matchingRatio });
}

async function issuanceWalk(year: number) {
  heading('2. Programmes, linked regions, enterprises and quota (R-PROG-1, R-ENT-1..2, R-QUOTA-1..2)');
  const js = await ensureProgramme('JS', year, 500_000_000);
  const zj = await ensureProgramme('ZJ', year, 300_000_000);
  table([js, zj].map((p) => ({ programme: p.id, status: p.status, version: p.version, rate: `${p.offsetRateBp / 100} %`, cap: yuan(p.annualCapFen), budget: yuan(p.budgetFen), mode: p.mode })));

  const suzhou = await ensureRegion('JS', '苏州工业园区');
  const hangzhou = await ensureRegion('ZJ', '杭州高新区');
  step(`linked regions: ${suzhou.name} (matching ${suzhou.matchingRatio}), ${hangzhou.name} (matching ${hangzhou.matchingRatio})`);

  const enterpriseOf = async (region: { id: string; province: 'JS' | 'ZJ' }, name: string, division: string) => {
    const creditCode = code(division).replace(/^12/, '91');
    const fixed = makeCreditCode(creditCode.slice(0, 17));
    const self = { sub: `user-${fixed}`, role: Role.Enterprise, org: fixed, province: region.province };
    const registered = await api.call(self, 'POST', '/v1/enterprises', { creditCode: fixed, name, regionId: region.id });
    const admin = { sub: `admin-${region.id}`, role: Role.RegionAdmin, org: region.id, province: region.province };
    await api.call(admin, 'POST', `/v1/enterprises/${registered.id}/decision`, { decision: 'approve' });
    const me = { ...self, org: registered.id };
    await api.call(me, 'PUT', `/v1/enterprises/${registered.id}/sme-registrations/${year}`, { registrationNumber: `${year}${division}${String(Date.now() % 1e5).padStart(5, '0')}` });
    return { ...registered, principal: me };
  };
  const photonics = await enterpriseOf({ id: suzhou.id, province: 'JS' }, '苏州光子芯片科技有限公司', '320500');
  const biotech = await enterpriseOf({ id: hangzhou.id, province: 'ZJ' }, '杭州微生物检测科技有限公司', '330100');
  step('two enterprises register in their linked regions and are approved by the region admins');

  const claim1 = await api.call(photonics.principal, 'POST', `/v1/enterprises/${photonics.id}/quota-claims`, { amountFen: 6_000_000 });
  const over = await api.refused(photonics.principal, 'POST', `/v1/enterprises/${photonics.id}/quota-claims`, { amountFen: 5_000_000 });
  step(`${photonics.name} claims ${yuan(6_000_000)}; a further ${yuan(5_000_000)} is refused whole: ${over.code} (${over.message})`);
  const claim2 = await api.call(photonics.principal, 'POST', `/v1/enterprises/${photonics.id}/quota-claims`, { amountFen: 4_000_000 });
  const claim3 = await api.call(biotech.principal, 'POST', `/v1/enterprises/${biotech.id}/quota-claims`, { amountFen: 8_000_000 });
  table([
    { enterprise: photonics.name, programme: claim2.programmeId, claimed: yuan(claim2.claimedFen), 'remaining cap': yuan(claim2.remainingCapFen), 'valid until': claim2.validUntil },
    { enterprise: biotech.name, programme: claim3.programmeId, claimed: yuan(claim3.claimedFen), 'remaining cap': yuan(claim3.remainingCapFen), 'valid until': claim3.validUntil },
  ]);
  void claim1;
  return { js, zj, suzhou, hangzhou, photonics, biotech };
}

type Providers = Awaited<ReturnType<typeof registryWalk>>;
type Parties = Awaited<ReturnType<typeof issuanceWalk>>;

async function redemptionWalk(bus: DemoNats, providers: Providers, parties: Parties) {
  heading('3. Provider systems redeem vouchers over NATS (R-ORDER-1, R-OFFSET-1..3, R-CLAIM-1..3, R-ENT-3)');
  const R = 'redemption';
  const unit = (p: { id: string }) => ({ sub: `sys-${p.id}`, role: Role.Provider, org: p.id });
  const { photonics, biotech } = parties;
  await until(async () => {
    const b = await bus.call(photonics.principal, `${R}.balance.get`, { programmeId: 'JS-2026', enterpriseId: photonics.id }, null);
    return b.quota && BigInt(b.quota.leftFen) > 0n;
  }, 'redemption to receive the quota grants');
  await until(async () => {
    const b = await bus.call(biotech.principal, `${R}.balance.get`, { programmeId: 'ZJ-2026', enterpriseId: biotech.id }, null);
    return b.quota && BigInt(b.quota.leftFen) > 0n;
  }, 'redemption to receive the quota grants');

  let invoice = 0;
  const rows: Array<Record<string, unknown>> = [];
  const serve = async (provider: { id: string; unitName: string; province: string }, ent: typeof photonics, amountFen: number, what: string) => {
    const order = await until(() => bus.reply(unit(provider), `${R}.order.create`, { providerId: provider.id, enterpriseId: ent.id, amountFen, description: what }).then((r) => (r.ok ? r.data : null)), 'the provider projection');
    await bus.call(unit(provider), `${R}.order.confirm`, { orderId: order.id });
    await bus.call(ent.principal, `${R}.order.confirm`, { orderId: order.id });
    const key = `pay-${order.id}`;
    const paid = await bus.call(ent.principal, `${R}.order.pay`, { orderId: order.id }, key);
    const retry = await bus.call(ent.principal, `${R}.order.pay`, { orderId: order.id }, key);
    if (JSON.stringify(retry) !== JSON.stringify(paid)) throw new Error('a retried payment did not return the first reply');
    await bus.call(unit(provider), `${R}.order.complete`, { orderId: order.id });
    const claim = await bus.call(unit(provider), `${R}.claim.submit`, {
      orderId: order.id,
      contractRef: `HT-2026-${++invoice}`,
      // a fully digital e-invoice number (20 digits: year, region, channel, sequence)
      invoiceNumber: makeDigitalInvoiceNumber(26, '32', BigInt(Date.now()) * 100n + BigInt(invoice)),
      invoiceAmountFen: amountFen,
      bankTransferRef: `BK-${invoice}`,
      bankAmountFen: paid.enterprisePaysFen,
    });
    rows.push({ provider: `${provider.unitName} (${provider.province})`, enterprise: ent.name, service: what, A: yuan(amountFen), V: yuan(paid.voucherFen), 'enterprise pays': yuan(paid.enterprisePaysFen) });
    return { order, paid, claim };
  };
  const first = await serve(providers.shCentre, photonics, 1_234_567, '扫描电镜测试');
  await serve(providers.zjLab, photonics, 2_000_000, '芯片失效分析');
  await serve(providers.jsCollege, biotech, 800_000, '材料成分检测');
  await serve(providers.jsCollege2, biotech, 1_500_000, '色谱质谱分析');
  await serve(providers.shCentre, photonics, 600_000, '能谱分析');
  table(rows);
  step('A = 12,345.67 yuan → V = floor(25 %) = 308,641 fen, the enterprise pays 925,926 fen (SPEC R-OFFSET-1); a retried payment with the same key returned the first reply');

  // R-CLAIM-2: an invoice backs at most one claim in the whole delta
  const again = await bus.call(unit(providers.shCentre), `${R}.order.create`, { providerId: providers.shCentre.id, enterpriseId: photonics.id, amountFen: 1_234_567, description: '重复发票' });
  await bus.call(unit(providers.shCentre), `${R}.order.confirm`, { orderId: again.id });
  await bus.call(photonics.principal, `${R}.order.confirm`, { orderId: again.id });
  const paidAgain = await bus.reply(photonics.principal, `${R}.order.pay`, { orderId: again.id });
  if (paidAgain.ok) await bus.call(unit(providers.shCentre), `${R}.order.complete`, { orderId: again.id });
  const dup = await bus.reply(unit(providers.shCentre), `${R}.claim.submit`, {
    orderId: again.id,
    contractRef: 'HT-dup',
    invoiceNumber: first.claim.invoiceNumber,
    invoiceAmountFen: 1_234_567,
    bankTransferRef: 'BK-dup',
    bankAmountFen: paidAgain.ok ? paidAgain.data.enterprisePaysFen : 1_234_567,
  });
  step(`a claim reusing invoice ${first.claim.invoiceNumber} is refused and flagged for inspection: ${dup.ok ? 'accepted?!' : dup.error.code}`);
  if (!paidAgain.ok) step(`(paying that order was refused: ${paidAgain.error.code} — the enterprise's quota is used up)`);
}

async function settlementWalk(bus: DemoNats, parties: Parties, providers: Providers) {
  heading('4. Quarterly settlement 2026Q3 for Jiangsu and Zhejiang (R-PUB-1, R-PAY-1, R-CLEAR-1)');
  const S = 'settlement';
  await bus.setClock(desk, '2026-10-09T10:00:00+08:00');
  step('the business clock moves to Fri 2026-10-09, after the quarter ends (Asia/Shanghai)');
  const runs: Record<string, any> = {};
  for (const province of ['JS', 'ZJ'] as const) {
    const op = operator(province);
    const expected = province === 'JS' ? 3 : 2;
    const run = await until(async () => {
      const existing = (await bus.call(op, `${S}.run.list`, { programmeId: `${province}-2026`, quarter: '2026Q3' }, null)).items[0];
      if (existing) return existing.collectedCount >= expected ? existing : null;
      const started = await bus.call(op, `${S}.run.start`, { programmeId: `${province}-2026`, quarter: '2026Q3', sampleRateBp: 3000 });
      return started.collectedCount >= expected ? started : null;
    }, `the ${province} claims to reach settlement`);
    const review = await bus.call(op, `${S}.claim.list`, { runId: run.id }, null);
    const decisions = review.items.filter((c: any) => c.sampled || c.flagged).map((c: any) => ({ claimId: c.claimId, decision: 'approve' }));
    await bus.call(op, `${S}.run.review`, { runId: run.id, decisions, approveAll: true });
    step(`${province}-2026: ${run.collectedCount} claims collected, seed ${run.seed.slice(0, 12)}… → ${decisions.length} sampled for on-site inspection, reviewed and approved`);
    runs[province] = await bus.call(op, `${S}.run.publish`, { runId: run.id });
  }
  const w = runs.JS.publication;
  step(`published ${w.publishedOn}; window = ${w.workingDays} working days ${w.firstDay} … ${w.lastDay} (Sat 10-10 is a make-up working day), closes ${w.closesAt}`);

  const publicList = await bus.call(null, `${S}.publicity.list`, { runId: runs.JS.id }, null);
  const target = publicList.items[publicList.items.length - 1];
  const objection = await bus.call(null, `${S}.objection.file`, {
    runId: runs.JS.id,
    claimId: target.claimId,
    objectorName: '张先生',
    objectorContact: '13800000000',
    reason: '该服务合同金额与市场价格明显不符',
  });
  step(`a member of the public objects to ${target.enterpriseName} / ${target.providerName}: the claim is held (R-PUB-1)`);

  // ADR 0009: the accounts the payment files name; the second Nanjing college gives none (its payment is held)
  const account = (who: any, ownerType: string, ownerId: string, holderName: string, accountNumber: string, bankCode: string) =>
    api.call(who, 'PUT', `/v1/settlement/bank-accounts/${ownerType}/${ownerId}`, { holderName, accountNumber, bankName: '示范银行', bankCode });
  await account(operator('JS'), 'programme', 'JS-2026', '江苏省科技资源统筹服务中心', '32001881236052500001', '105301000123');
  await account(operator('ZJ'), 'programme', 'ZJ-2026', '浙江省科技创新服务中心', '33001881236052500002', '105331000456');
  for (const [p, acct, bank] of [[providers.shCentre, '31001600000050011111', '102290000111'], [providers.zjLab, '33001600000050022222', '104331000222'], [providers.jsCollege, '32001600000050033333', '103301000333']] as const) {
    await account({ sub: `sys-${p.id}`, role: Role.Provider, org: p.id }, 'provider', p.id, `${p.legalName}`, acct, bank);
  }
  step('the programmes give their paying accounts, the providers their receiving accounts (one Nanjing college gives none yet)');

  await bus.setClock(desk, '2026-10-16T09:00:00+08:00');
  await bus.call(operator('JS'), `${S}.objection.decide`, { objectionId: objection.id, decision: 'dismiss', reason: '经核查服务真实，价格合理' });
  step('after the window the objection is examined and dismissed: the claim moves to the next run');
  for (const province of ['JS', 'ZJ'] as const) {
    const op = operator(province);
    const done = await bus.call(op, `${S}.run.disburse`, { runId: runs[province].id }, null);
    const again = await bus.call(op, `${S}.run.disburse`, { runId: runs[province].id }, null);
    const { items } = await bus.call(op, `${S}.instruction.list`, { runId: runs[province].id }, null);
    table(items.map((i: any) => ({ programme: i.programmeId, payee: i.payeeName, claims: i.claimCount, amount: yuan(i.totalFen), bank: i.bankStatus })));
    step(`${province}: ${done.instructionCount} payment instruction(s), ${yuan(done.instructionFen)}; running disbursement again changed nothing (${again.instructionCount} instructions) (R-PAY-1)`);
  }

  heading('5. Cross-province statement 2026Q3 (R-CLEAR-1)');
  const statement = await bus.call(desk, `${S}.statement.get`, { quarter: '2026Q3', detail: true }, null);
  table(statement.cells.filter((c: any) => c.claimCount > 0).map((c: any) => ({ 'issuing programme': c.programmeId, 'provider province': c.providerProvince, claims: c.claimCount, paid: yuan(c.totalFen) })));
  step(`statement total ${yuan(statement.totalFen)} = payment instructions ${yuan(statement.instructionFen)}`);
  table(statement.net.filter((n: any) => BigInt(n.paidFen) > 0n || BigInt(n.receivedFen) > 0n).map((n: any) => ({ from: n.from, to: n.to, paid: yuan(n.paidFen), received: yuan(n.receivedFen), net: yuan(n.netFen) })));

  heading('6. Local matching (R-MATCH-1)');
  const admin = { sub: 'admin-suzhou', role: Role.RegionAdmin, org: parties.suzhou.id, province: 'JS' as const };
  const owed = await bus.call(admin, `${S}.matching.report`, { regionId: parties.suzhou.id }, null);
  owed.items = owed.obligations;
  table(owed.items.map((o: any) => ({ enterprise: o.enterpriseName, voucher: yuan(o.voucherFen), ratio: o.matchingRatio, owed: yuan(o.amountFen), 'paid by province': o.provincialPaidOn, due: o.dueOn })));
  await bus.setClock(desk, '2026-11-02T10:00:00+08:00');
  await bus.call(admin, `${S}.matching.record`, { items: owed.items.map((o: any) => ({ obligationId: o.id, amountFen: o.amountFen })), paidOn: '2026-11-02', reference: 'SZ-MATCH-001' });
  step(`2026-11-02: the Suzhou region pays its matching (${owed.items.map((o: any) => yuan(o.amountFen)).join(', ')}), due ${owed.items[0]?.dueOn}`);

  await bus.setClock(desk, '2027-01-20T10:00:00+08:00');
  await bus.call(desk, `${S}.matching.check`, { note: 'demo: weekly overdue check' });
  const overdue = await bus.call(desk, `${S}.matching.report`, { overdueOnly: true }, null);
  table(overdue.obligations.map((o: any) => ({ region: o.regionId === parties.hangzhou.id ? parties.hangzhou.name : o.regionId, enterprise: o.enterpriseName, owed: yuan(o.outstandingFen), due: o.dueOn, overdue: o.overdue })));
  step('2027-01-20: the Hangzhou region has not paid by its deadline (provincial payment 2026-10-16 + 3 months): it is flagged as defaulting');
  const newcomer = makeCreditCode(code('330100').replace(/^12/, '91').slice(0, 17));
  const self = { sub: `user-${newcomer}`, role: Role.Enterprise, org: newcomer, province: 'ZJ' as const };
  const registered = await api.call(self, 'POST', '/v1/enterprises', { creditCode: newcomer, name: '杭州新申请科技有限公司', regionId: parties.hangzhou.id });
  const hzAdmin = { sub: 'admin-hz', role: Role.RegionAdmin, org: parties.hangzhou.id, province: 'ZJ' as const };
  const blocked = await until(async () => {
    const r = await api.refused(hzAdmin, 'POST', `/v1/enterprises/${registered.id}/decision`, { decision: 'approve' }).catch(() => null);
    return r && r.code === 'REGION_DEFAULTING' ? r : null;
  }, 'issuance to learn the region is defaulting');
  step(`its new enterprise approvals are blocked until it catches up: ${blocked.code}`);
  return runs;
}

async function outputs(bus: DemoNats, runs: Record<string, any>) {
  heading('7. Outputs of the run (CSV, XLSX, PDF publicity notice)');
  const dir = 'out/demo';
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const [kind, format] of [['instructions', 'csv'], ['publicity', 'xlsx'], ['statement', 'csv'], ['statement', 'xlsx'], ['notice', 'pdf']] as const) {
    const file = await bus.reply(operator('JS'), 'settlement.export.get', { kind, format, runId: runs.JS.id }, null);
    if (!file.ok) {
      step(`${kind} ${format}: ${file.error.code} ${file.error.message}`);
      continue;
    }
    writeFileSync(`${dir}/${file.data.filename}`, Buffer.from(file.data.content, 'base64'));
    files.push(`${dir}/${file.data.filename} (${file.data.bytes} bytes)`);
  }
  for (const f of files) step(f);
}

/**
 * ADR 0009: Jiangsu's payment file in the banks' format (ISO 20022 pain.001), and the bank's answer
 * to it (a pain.002 status report, played here as the bank would write it): the first transfer
 * returned (closed account), any other settled; the payee gives corrected details and the
 * programme's next run pays it again, once.
 */
async function bankWalk(bus: DemoNats, runs: Record<string, any>) {
  heading('7b. The payment file and the bank\'s answer (pain.001 → pain.002)');
  const dir = 'out/demo';
  const file = await bus.call(operator('JS'), 'settlement.export.get', { kind: 'instructions', format: 'xml', runId: runs.JS.id }, null);
  const xml = Buffer.from(file.content, 'base64').toString('utf8');
  writeFileSync(`${dir}/${file.filename}`, xml);
  step(`${dir}/${file.filename}: the instructions of JS-2026 2026Q3 as a pain.001.001.10 credit transfer initiation (${file.bytes} bytes)`);
  const sent = new XMLParser({ isArray: (n) => n === 'CdtTrfTxInf', parseTagValue: false }).parse(xml).Document.CstmrCdtTrfInitn;
  const transfers: Array<{ e2e: string; creditor: string }> = sent.PmtInf.CdtTrfTxInf.map((t: any) => ({ e2e: t.PmtId.EndToEndId, creditor: t.Cdtr.Nm }));
  // the bank returns the first transfer (closed account) and settles the others
  const { items } = await bus.call(operator('JS'), 'settlement.instruction.list', { runId: runs.JS.id }, null);
  const returned = items.find((i: any) => i.endToEndId === transfers[0].e2e);
  const answer = new XMLBuilder({ format: true }).build({
    Document: {
      CstmrPmtStsRpt: {
        GrpHdr: { MsgId: `BANK-${Date.now()}`, CreDtTm: '2026-10-17T10:00:00+08:00' },
        OrgnlGrpInfAndSts: { OrgnlMsgId: sent.GrpHdr.MsgId, OrgnlMsgNmId: 'pain.001.001.10' },
        OrgnlPmtInfAndSts: {
          OrgnlPmtInfId: sent.PmtInf.PmtInfId,
          TxInfAndSts: transfers.map((t, i) => (i === 0 ? { OrgnlEndToEndId: t.e2e, TxSts: 'RJCT', StsRsnInf: { Rsn: { Cd: 'AC04' }, AddtlInf: '收款账户已销户' } } : { OrgnlEndToEndId: t.e2e, TxSts: 'ACSC' })),
        },
      },
    },
  }).replace('<Document>', '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.11">');
  writeFileSync(`${dir}/pain002-JS-2026-2026Q3.xml`, answer);
  const report = await api.call(operator('JS'), 'POST', '/v1/settlement/bank-reports', { content: answer });
  table(report.entries.map((e: any) => ({ line: e.line, transfer: e.reference, bank: e.status, reason: e.reason ?? '', outcome: e.outcome })));
  const view = await api.call(operator('JS'), 'GET', `/v1/settlement/runs/${runs.JS.id}`);
  step(`the run's payments: ${view.payments.settled.count} settled, ${view.payments.returned.count} returned to ${returned.payeeName} (waiting for its corrected details), reconciled: ${view.payments.reconciled}`);
  await api.call({ sub: `sys-${returned.payeeId}`, role: Role.Provider, org: returned.payeeId }, 'PUT', `/v1/settlement/bank-accounts/provider/${returned.payeeId}`, {
    holderName: returned.payeeName,
    accountNumber: '31001600000050099999',
    bankName: '示范银行',
    bankCode: '102290000111',
    reason: '原账户已销户',
  });
  step(`${returned.payeeName} gives its new account: Jiangsu's next run pays the returned transfer again, once (npm run ledger:check: nothing paid twice)`);
}

/**
 * The business clock now stands in 2027: Jiangsu opens its 2027 programme and the Suzhou enterprise
 * claims its 2027 quota, so that a provider system can take an order right after the demo. The
 * example provider client (examples/provider-client) then takes one over gRPC, with the settings it
 * reads written to out/demo/provider-client.env for running it again from a terminal.
 */
async function providerSystemWalk(bus: DemoNats, providers: Providers, parties: Parties) {
  heading('8. A provider system takes an order of the new year over gRPC (examples/provider-client)');
  const year = 2027;
  const programme = await ensureProgramme('JS', year, 500_000_000);
  const { photonics } = parties;
  await api.call(photonics.principal, 'PUT', `/v1/enterprises/${photonics.id}/sme-registrations/${year}`, { registrationNumber: `${year}320500${String(Date.now() % 1e5).padStart(5, '0')}` });
  await api.call(photonics.principal, 'POST', `/v1/enterprises/${photonics.id}/quota-claims`, { amountFen: 8_000_000 });
  await until(async () => {
    const b = await bus.call(photonics.principal, 'redemption.balance.get', { programmeId: programme.id, enterpriseId: photonics.id }, null);
    return b.quota && BigInt(b.quota.leftFen) > 0n;
  }, 'redemption to receive the 2027 quota grant');
  step(`${programme.id} is open; ${photonics.name} claimed ${yuan(8_000_000)} of ${year} quota`);
  const unit = providers.shCentre;
  // gRPC is mutual TLS: the provider system's client certificate (CN = its unit), from the development CA
  const tls = providerCertificate(localSecretsDir(), unit.id);
  const tlsDir = 'out/demo/provider-tls';
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  copyFileSync(tls.ca, `${tlsDir}/ca.crt`);
  copyFileSync(tls.cert, `${tlsDir}/client.crt`);
  copyFileSync(tls.key, `${tlsDir}/client.key`);
  const settings: Record<string, string> = {
    TRANSPORT: 'grpc',
    REDEMPTION_GRPC: process.env.REDEMPTION_GRPC ?? `127.0.0.1:${process.env.GRPC_PORT ?? '50051'}`,
    GRPC_TLS_DIR: tlsDir,
    GATEWAY_URL: gateway,
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:14222',
    // over NATS (TRANSPORT=nats) the provider system is the user of its own account
    NATS_USER: 'provider-template',
    NATS_PASSWORD: readFileSync(`${localSecretsDir()}/nats/provider-template.password`, 'utf8').trim(),
    PROVIDER_ID: unit.id,
    PROVIDER_TOKEN: await devToken({ sub: `sys-${unit.id}`, role: Role.Provider, org: unit.id }),
    ENTERPRISE_ID: photonics.id,
    ENTERPRISE_TOKEN: await devToken(photonics.principal),
    AMOUNT_FEN: '1234567',
  };
  mkdirSync('out/demo', { recursive: true });
  writeFileSync('out/demo/provider-client.env', `${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n')}\n`, { mode: 0o600 });
  step(`${unit.legalName} ${unit.unitName}'s system, over gRPC at ${settings.REDEMPTION_GRPC}:`);
  execFileSync(process.execPath, ['-r', './scripts/register-paths.js', 'dist/scripts/examples/provider-client/main.js'], { env: { ...process.env, ...settings }, stdio: 'inherit' });
  step('again from a terminal: set -a; . out/demo/provider-client.env; set +a; node -r ./scripts/register-paths.js dist/scripts/examples/provider-client/main.js');
}

async function main() {
  console.log(`Demo against ${gateway} (OpenAPI at ${gateway}/docs)`);
  const bus = await DemoNats.connect(process.env.NATS_URL ?? 'nats://127.0.0.1:14222');
  try {
    await bus.setClock(desk, '2026-07-06T09:00:00+08:00');
    const providers = await registryWalk();
    const parties = await issuanceWalk(2026);
    await redemptionWalk(bus, providers, parties);
    const runs = await settlementWalk(bus, parties, providers);
    await outputs(bus, runs);
    await bankWalk(bus, runs);
    await providerSystemWalk(bus, providers, parties);
  } finally {
    await bus.close();
  }
  console.log('\nDemo finished.');
}

main().catch((err) => {
  console.error('\nDemo failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
