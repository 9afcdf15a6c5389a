import 'reflect-metadata';
/**
 * The README demo: plays the voucher lifecycle against the running system through the HTTP
 * gateway, as the real parties would, and prints what happens.
 */
import { makeCreditCode } from '@vc/domain';
import { Role } from '@vc/contracts';
import { DemoClient } from './http';
import { heading, step, table, yuan } from './print';

const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000';
const api = new DemoClient(gateway);

const desk = { sub: 'desk-demo', role: Role.DeltaOperator, org: 'DELTA' };
const operator = (province: 'SH' | 'JS' | 'ZJ' | 'AH') => ({ sub: `op-${province}`, role: Role.ProgrammeOperator, org: province, province });

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
    effectiveFrom: '2026-11-01',
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
async function ensureProgramme(province: 'SH' | 'JS' | 'ZJ' | 'AH', year: number, budgetFen: number) {
  const existing = await api.call(operator(province), 'GET', `/v1/programmes`, undefined, { province, year: String(year) });
  let programme = existing.items[0];
  if (!programme) programme = await api.call(operator(province), 'POST', '/v1/programmes', { year, budgetFen, ...PROGRAMME });
  if (programme.status === 'draft') programme = await api.call(operator(province), 'POST', `/v1/programmes/${programme.id}/open`);
  return programme;
}

async function ensureRegion(province: 'SH' | 'JS' | 'ZJ' | 'AH', name: string, matchingRatio = '1.00') {
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

async function main() {
  console.log(`Demo against ${gateway} (OpenAPI at ${gateway}/docs)`);
  const year = Number(process.env.DEMO_YEAR ?? new Date(Date.now() + 8 * 3600_000).getUTCFullYear());
  await registryWalk();
  await issuanceWalk(year);
  console.log('\nDemo finished.');
}

main().catch((err) => {
  console.error('\nDemo failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
