// Labels in Chinese and English; the choice is remembered in the browser.
const LABELS = {
  zh: {
    title: '长三角科技创新券 通用通兑', publicity: '公示', console: '运营控制台', login: '登录', logout: '退出', role: '角色', org: '机构', province: '省份',
    programme: '计划', run: '批次', quarter: '季度', enterprise: '企业', provider: '服务机构', amount: '服务金额', voucher: '创新券金额', closesAt: '公示截止（北京时间）',
    fileObjection: '提出异议', objectorName: '异议人姓名', objectorContact: '联系方式', reason: '异议理由', submit: '提交', objectionFiled: '异议已提交，相关兑付暂缓。',
    dashboard: '总览', claims: '兑付审核', runs: '季度结算', statement: '跨省清算', matching: '地方配套', registry: '服务机构库',
    budget: '预算', taken: '已使用', left: '剩余', state: '状态', approve: '通过', reject: '驳回', startRun: '发起结算', download: '下载',
    noOpenLists: '当前没有正在公示的名单。', inspection: '抽查', flagged: '疑点', paid: '已付', due: '应付', overdue: '逾期',
  },
  en: {
    title: 'Yangtze River Delta innovation vouchers', publicity: 'Publicity', console: 'Operator console', login: 'Sign in', logout: 'Sign out', role: 'Role', org: 'Organisation', province: 'Province',
    programme: 'Programme', run: 'Run', quarter: 'Quarter', enterprise: 'Enterprise', provider: 'Provider', amount: 'Service amount', voucher: 'Voucher amount', closesAt: 'Window closes (Asia/Shanghai)',
    fileObjection: 'File an objection', objectorName: 'Your name', objectorContact: 'Contact', reason: 'Reason', submit: 'Submit', objectionFiled: 'Objection filed; the claim is held from payment.',
    dashboard: 'Dashboard', claims: 'Claim review', runs: 'Quarterly runs', statement: 'Cross-province statement', matching: 'Local matching', registry: 'Provider registry',
    budget: 'Budget', taken: 'Taken', left: 'Left', state: 'State', approve: 'Approve', reject: 'Reject', startRun: 'Start run', download: 'Download',
    noOpenLists: 'No list is under publicity now.', inspection: 'inspection', flagged: 'flagged', paid: 'Paid', due: 'Due', overdue: 'Overdue',
  },
};

export let lang = localStorage.getItem('lang') || 'zh';
export const t = (key) => LABELS[lang][key] ?? key;
export function setLang(next) {
  lang = next;
  localStorage.setItem('lang', next);
}

/** Integer fen → "¥12,345.67", with integer arithmetic only. */
export function yuan(fen) {
  const v = BigInt(fen);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}¥${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** An instant shown in Asia/Shanghai, whatever the browser's zone. */
export function shanghai(iso) {
  return new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
