// Labels in Chinese and English; the choice is remembered in the browser.
const LABELS = {
  zh: {
    title: '长三角科技创新券 通用通兑', publicity: '公示', console: '运营控制台', login: '登录', logout: '退出', role: '角色', org: '机构', province: '省份',
    programme: '计划', run: '批次', quarter: '季度', enterprise: '企业', provider: '服务机构', amount: '服务金额', voucher: '创新券金额', closesAt: '公示截止（北京时间）',
    publicityTitle: '创新券兑付公示', publicityIntro: '以下兑付名单正在公示。公示期内，任何单位和个人均可实名提出异议；有异议的兑付暂缓拨付。',
    window: '公示期', publishedOn: '发布日期', listed: '公示项目', total: '合计', listState: '状态', onList: '公示中', held: '暂缓（有异议）',
    objectThis: '对此提出异议', objecting: '异议对象', chooseClaim: '请先在名单中选择要提出异议的项目。',
    fileObjection: '提出异议', objectorName: '异议人姓名', objectorContact: '联系方式（电话或邮箱）', reason: '异议理由', submit: '提交', cancel: '取消',
    objectionFiled: '异议已提交，相关兑付暂缓。', required: '此项必填。',
    'field.objectorName': '请填写姓名（1–100 个字符）。', 'field.objectorContact': '请填写可联系到您的手机号、带区号的固定电话或电子邮箱。',
    'field.reason': '请说明异议理由（1–2000 个字符）。', 'field.claimId': '该项目不在本批次公示名单中。', 'field.runId': '该批次不在公示期内。',
    noticePdf: '公示通知（PDF）', listCsv: '名单（CSV）', listXlsx: '名单（Excel）',
    dashboard: '总览', claims: '兑付审核', runs: '季度结算', statement: '跨省清算', matching: '地方配套', registry: '服务机构库',
    budget: '预算', credited: '预算总额', taken: '已使用', left: '剩余', state: '状态', approve: '通过', reject: '驳回', return: '退回修改', startRun: '发起结算', download: '下载',
    noOpenLists: '当前没有正在公示的名单。', inspection: '抽查', flagged: '疑点', paid: '已付', due: '未到期应付', overdue: '逾期', owed: '应配套',
    offsetRate: '抵扣比例', annualCap: '企业年度额度上限', mode: '兑付方式', claimsByState: '兑付申请（按状态）', quota: '额度',
    invoice: '发票', evidence: '凭证', contract: '合同', bank: '银行转账', submittedAt: '提交时间', decision: '审核', reasonRequired: '驳回或退回需填写理由。',
    noRunInReview: '没有待审核的批次。先在“季度结算”中发起结算。', queueEmpty: '本批次没有待审核的申请。', decided: '已处理',
    sampleRate: '抽查比例（基点）', collected: '归集', instructions: '支付指令', approveAll: '全部通过（抽查与疑点除外）', publish: '发布公示', disburse: '拨付',
    objections: '异议', uphold: '异议成立', dismiss: '异议不成立', outputs: '输出文件', refresh: '刷新', actions: '操作',
    statementOf: '跨省清算表', count: '笔数', netView: '省际净额', from: '付出方', to: '收款方', received: '收到', net: '净额', perProvider: '机构明细',
    region: '地区', defaulting: '配套逾期', obligations: '配套事项', dueOn: '到期日', outstanding: '未付',
    complaints: '投诉', creditRecords: '信用记录', kind: '类型', upheldComplaints: '成立投诉', category: '类别', description: '说明',
    creditCode: '统一社会信用代码', severity: '程度', filedBy: '记录省份', effective: '有效期', show: '查询', loading: '加载中…', none: '无',
    decisionReason: '驳回或退回理由',
    calendar: '工作日历', year: '年度', notice: '通知', version: '版本', loadedBy: '加载人', loadedAt: '加载时间', holidays: '放假日', workdays: '调休上班日', testFixture: '测试数据',
    loadYear: '加载年度安排（JSON 文件）', supersedes: '更正版本', calendarLoaded: '已加载',
    'b.bank': '银行回执', 'b.settled': '已入账', 'b.outstanding': '待回执', 'b.returned': '已退回', 'b.held': '缺收款账户', 'b.reissues': '重付', 'b.waiting': '待补正账户',
    'b.reconciled': '已对账', 'b.import': '导入银行回执（pain.002 / camt.054）', 'b.file': '回执文件（XML）', 'b.again': '此前已导入，未重复处理',
    'calendar.nextMissing': '{next}年工作日历尚未加载：{year}年第四季度结算（次年1月发布公示）及跨入{next}年的公示期将被拒绝。请长三角清算中心加载国务院办公厅关于{next}年部分节假日安排的通知。',
    'calendar.currentMissing': '{year}年工作日历尚未加载：任何批次都不能发布公示。请长三角清算中心加载国务院办公厅关于{year}年部分节假日安排的通知。',
    's.review': '审核中', 's.publicity': '公示中', 's.disbursing': '拨付中', 's.completed': '已完成', 's.pending': '待归集', 's.in_review': '待审核',
    's.approved': '已通过', 's.held': '暂缓', 's.returned': '已退回', 's.deferred': '顺延', 's.rejected': '已驳回', 's.paid': '已拨付',
    's.open': '开放', 's.draft': '草稿', 's.closed': '已关闭', 's.active': '正常', 's.suspended': '暂停', 's.revoked': '已撤销', 's.applied': '待审核',
    's.upheld': '成立', 's.dismissed': '不成立', 's.superseded': '已失效', 's.repaired': '已修复', 's.general': '一般', 's.serious': '严重',
    's.pending_review': '待审核',
    'k.university': '高校', 'k.college': '高校院系', 'k.research_institute': '科研院所', 'k.major_research_infrastructure': '重大科研基础设施',
    'k.key_laboratory': '重点实验室', 'k.large_instrument_centre': '大型科学仪器中心', 'k.testing_centre': '分析测试中心',
    'k.resource_sharing_platform': '科技资源共享平台', 'k.enterprise_lab': '企业实验室', 'k.testing_company': '检验检测机构',
    'k.technology_service_company': '科技服务企业', 'k.other': '其他',
    'm.provider_redeems': '服务机构兑付', 'm.enterprise_reimbursed': '企业报销',
  },
  en: {
    title: 'Yangtze River Delta innovation vouchers', publicity: 'Publicity', console: 'Operator console', login: 'Sign in', logout: 'Sign out', role: 'Role', org: 'Organisation', province: 'Province',
    programme: 'Programme', run: 'Run', quarter: 'Quarter', enterprise: 'Enterprise', provider: 'Provider', amount: 'Service amount', voucher: 'Voucher amount', closesAt: 'Window closes (Asia/Shanghai)',
    publicityTitle: 'Voucher settlement publicity', publicityIntro: 'These settlement lists are under public review. During the window anyone may object under their name; a claim with an objection is held from payment.',
    window: 'Window', publishedOn: 'Published', listed: 'Listed', total: 'Total', listState: 'Status', onList: 'listed', held: 'held (objection)',
    objectThis: 'Object', objecting: 'Objecting to', chooseClaim: 'Choose the line you object to in a list first.',
    fileObjection: 'File an objection', objectorName: 'Your name', objectorContact: 'Contact (phone or e-mail)', reason: 'Reason', submit: 'Submit', cancel: 'Cancel',
    objectionFiled: 'Objection filed; the claim is held from payment.', required: 'Required.',
    'field.objectorName': 'Give your name (1–100 characters).', 'field.objectorContact': 'Give a mobile number, a landline with its area code, or an e-mail address we can reach.',
    'field.reason': 'Say why you object (1–2000 characters).', 'field.claimId': 'This line is not on the run\'s list.', 'field.runId': 'This run is not under publicity.',
    noticePdf: 'Notice (PDF)', listCsv: 'List (CSV)', listXlsx: 'List (Excel)',
    dashboard: 'Dashboard', claims: 'Claim review', runs: 'Quarterly runs', statement: 'Cross-province statement', matching: 'Local matching', registry: 'Provider registry',
    budget: 'Budget', credited: 'Credited', taken: 'Taken', left: 'Left', state: 'State', approve: 'Approve', reject: 'Reject', return: 'Return', startRun: 'Start run', download: 'Download',
    noOpenLists: 'No list is under publicity now.', inspection: 'inspection', flagged: 'flagged', paid: 'Paid', due: 'Due', overdue: 'Overdue', owed: 'Owed',
    offsetRate: 'Offset rate', annualCap: 'Annual cap per enterprise', mode: 'Mode', claimsByState: 'Claims by state', quota: 'Quota',
    invoice: 'Invoice', evidence: 'Evidence', contract: 'Contract', bank: 'Bank transfer', submittedAt: 'Submitted', decision: 'Decision', reasonRequired: 'A reason is required to reject or return.',
    noRunInReview: 'No run is in review. Start one under "Quarterly runs".', queueEmpty: 'No claim of this run waits for review.', decided: 'Decided',
    sampleRate: 'Inspection sample (bp)', collected: 'Collected', instructions: 'Instructions', approveAll: 'Approve all (not sampled or flagged)', publish: 'Publish', disburse: 'Disburse',
    objections: 'Objections', uphold: 'Uphold', dismiss: 'Dismiss', outputs: 'Outputs', refresh: 'Refresh', actions: 'Actions',
    statementOf: 'Cross-province statement', count: 'Count', netView: 'Net between provinces', from: 'From', to: 'To', received: 'Received', net: 'Net', perProvider: 'Per provider',
    region: 'Region', defaulting: 'defaulting', obligations: 'Obligations', dueOn: 'Due on', outstanding: 'Outstanding',
    complaints: 'Complaints', creditRecords: 'Credit records', kind: 'Kind', upheldComplaints: 'Upheld complaints', category: 'Category', description: 'Description',
    creditCode: 'Credit code', severity: 'Severity', filedBy: 'Filed by', effective: 'Effective', show: 'Show', loading: 'Loading…', none: 'None',
    calendar: 'Working-day calendar', year: 'Year', notice: 'Notice', version: 'Version', loadedBy: 'Loaded by', loadedAt: 'Loaded at', holidays: 'Holidays', workdays: 'Make-up working days', testFixture: 'test fixture',
    loadYear: "Load a year's schedule (JSON file)", supersedes: 'Corrects version', calendarLoaded: 'Loaded',
    'b.bank': 'Bank', 'b.settled': 'settled', 'b.outstanding': 'awaiting bank', 'b.returned': 'returned', 'b.held': 'no account', 'b.reissues': 'paid again', 'b.waiting': 'waiting for details',
    'b.reconciled': 'reconciled', 'b.import': "Import the bank's answer (pain.002 / camt.054)", 'b.file': 'Bank file (XML)', 'b.again': 'imported before: nothing applied again',
    'calendar.nextMissing': "The {next} working-day calendar is not loaded: the {year}Q4 runs (published in January) and any publicity window reaching into {next} will be refused until the delta desk loads the State Council's notice for {next}.",
    'calendar.currentMissing': "The {year} working-day calendar is not loaded: no run can be published until the delta desk loads the State Council's notice for {year}.",
    decisionReason: 'Reason to reject or return',
    'm.provider_redeems': 'provider redeems', 'm.enterprise_reimbursed': 'enterprise reimbursed',
  },
};

export let lang = localStorage.getItem('lang') || 'zh';
export const t = (key) => LABELS[lang][key] ?? LABELS.en[key] ?? key;
/** A state or kind code in the reader's language; the code itself when there is no label. */
export const label = (prefix, code) => LABELS[lang][`${prefix}.${code}`] ?? String(code ?? '');
export function setLang(next) {
  lang = next === 'en' ? 'en' : 'zh';
  localStorage.setItem('lang', lang);
}

/** Integer fen (number, decimal string or bigint) → "¥12,345.67", with integer arithmetic only. */
export function yuan(fen) {
  const v = BigInt(fen);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}¥${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** Sum of fen values as a bigint. */
export const sumFen = (values) => values.reduce((acc, v) => acc + BigInt(v ?? 0), 0n);

/** An instant shown in Asia/Shanghai, whatever the browser's zone. */
export function shanghai(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' }).format(new Date(iso));
}

/** The window's close, 24:00 of its last day in Asia/Shanghai, shown as "2026-10-15 24:00". */
export function closesAt(iso) {
  const d = new Date(iso);
  const parts = (x) => Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(x).map((p) => [p.type, p.value]));
  const p = parts(d);
  if (p.hour === '00' && p.minute === '00') {
    const q = parts(new Date(d.getTime() - 1));
    return `${q.year}-${q.month}-${q.day} 24:00`;
  }
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
