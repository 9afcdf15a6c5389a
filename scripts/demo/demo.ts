import 'reflect-metadata';
/**
 * The README demo: plays the voucher lifecycle against the running system through the HTTP
 * gateway, as the real parties would, and prints what happens.
 */
import { makeCreditCode } from '@vc/domain';
import { Role } from '@vc/contracts';
import { DemoClient } from './http';
import { heading, step, table } from './print';

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

async function main() {
  console.log(`Demo against ${gateway} (OpenAPI at ${gateway}/docs)`);
  await registryWalk();
  console.log('\nDemo finished.');
}

main().catch((err) => {
  console.error('\nDemo failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
