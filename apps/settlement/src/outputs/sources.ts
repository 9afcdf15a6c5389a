import { OutputTable, provinceName, PublicityNotice } from './documents';
import { inRun } from '../sql/claim-state';
import { listedOf, RUN_COLUMNS, RunRow } from '../sql/runs';

export type Query = <T = any>(sql: string, params?: unknown[]) => Promise<T[]>;

const PAGE = 10_000;

/** Keyset paging: constant memory and no OFFSET however long the list. */
async function* paged(query: Query, sql: (after: string | null) => [string, unknown[]], key: string): AsyncIterable<Record<string, unknown>> {
  let after: string | null = null;
  for (;;) {
    const [text, params] = sql(after);
    const rows = await query<Record<string, unknown>>(text, params);
    for (const row of rows) yield row;
    if (rows.length < PAGE) return;
    after = String(rows[rows.length - 1][key]);
  }
}

const PAYEE_TYPES: Record<string, string> = { provider: '服务机构', enterprise: '企业' };
const CLAIM_STATES: Record<string, string> = { approved: '拟兑付', held: '异议暂缓', paid: '已兑付' };
const INSTRUCTION_KINDS: Record<string, string> = { run: '本批', reissue: '重付' };
const BANK_STATUSES: Record<string, string> = { outstanding: '待银行回执', settled: '已入账', returned: '已退回', held: '缺收款账户' };

/** The payment instruction file of a run (资金拨付指令): one line per payee. */
export function instructionsTable(query: Query, runId: string): OutputTable {
  let n = 0;
  return {
    title: '资金拨付指令',
    columns: [
      { key: 'no', header: '序号', width: 8 },
      { key: 'instructionId', header: '指令编号', width: 38 },
      { key: 'programmeId', header: '发放方案', width: 10 },
      { key: 'payeeType', header: '收款方类型', width: 10 },
      { key: 'payeeId', header: '收款方编号', width: 38 },
      { key: 'payeeName', header: '收款方名称', width: 30 },
      { key: 'claimCount', header: '笔数', width: 8 },
      { key: 'totalFen', header: '拨付金额', fen: true },
      { key: 'kind', header: '指令类型', width: 10 },
      { key: 'reissueOf', header: '重付原指令', width: 38 },
      { key: 'accountNumber', header: '收款账号', width: 24 },
      { key: 'bankCode', header: '开户行行号', width: 14 },
      { key: 'bankStatus', header: '银行状态', width: 10 },
      { key: 'bankReason', header: '退回原因', width: 30 },
    ],
    rows: (async function* () {
      for await (const r of paged(
        query,
        (after) => [
          `SELECT id AS "instructionId", programme_id AS "programmeId", payee_type AS "payeeType", payee_id AS "payeeId", payee_name AS "payeeName",
                  claim_count AS "claimCount", total_fen AS "totalFen", kind, reissue_of AS "reissueOf", account_number AS "accountNumber",
                  bank_code AS "bankCode", bank_status AS "bankStatus", bank_reason AS "bankReason", kind || ':' || payee_type || ':' || payee_id || ':' || id AS k
             FROM settlement.instructions WHERE run_id = $1 AND ($2::text IS NULL OR kind || ':' || payee_type || ':' || payee_id || ':' || id > $2)
            ORDER BY kind || ':' || payee_type || ':' || payee_id || ':' || id LIMIT ${PAGE}`,
          [runId, after],
        ],
        'k',
      )) {
        yield {
          ...r,
          no: ++n,
          payeeType: PAYEE_TYPES[String(r.payeeType)] ?? r.payeeType,
          kind: INSTRUCTION_KINDS[String(r.kind)] ?? r.kind,
          bankStatus: BANK_STATUSES[String(r.bankStatus)] ?? r.bankStatus,
        };
      }
    })(),
  };
}

/** The publicity list (公示名单) of a run: every approved claim, enterprises included. */
export function publicityTable(query: Query, runId: string): OutputTable {
  let n = 0;
  return {
    title: '公示名单',
    columns: [
      { key: 'no', header: '序号', width: 8 },
      { key: 'claimId', header: '兑付申请编号', width: 38 },
      { key: 'enterpriseName', header: '企业名称', width: 30 },
      { key: 'providerName', header: '服务机构', width: 30 },
      { key: 'providerProvince', header: '机构所在地', width: 10 },
      { key: 'amountFen', header: '服务金额', fen: true },
      { key: 'voucherFen', header: '创新券兑付额', fen: true },
      { key: 'state', header: '状态', width: 10 },
    ],
    rows: (async function* () {
      for await (const r of paged(
        query,
        (after) => [
          `SELECT claim_id::text AS "claimId", enterprise_name AS "enterpriseName", provider_name AS "providerName", provider_province AS "providerProvince",
                  amount_fen AS "amountFen", voucher_fen AS "voucherFen", state
             FROM settlement.claims_current WHERE ${inRun('$1::uuid')} AND state IN ('approved', 'held', 'paid') AND ($2::uuid IS NULL OR claim_id > $2)
            ORDER BY claim_id LIMIT ${PAGE}`,
          [runId, after],
        ],
        'claimId',
      )) {
        yield { ...r, no: ++n, providerProvince: provinceName(String(r.providerProvince)), state: CLAIM_STATES[String(r.state)] ?? r.state };
      }
    })(),
  };
}

/** The cross-province statement (跨省清算), per issuing programme × provider province × provider. */
export function statementTable(query: Query, filter: { runIds: string[] }): OutputTable {
  return {
    title: '跨省清算对账单',
    columns: [
      { key: 'programmeId', header: '发放方案', width: 10 },
      { key: 'issuingProvince', header: '发放省份', width: 8 },
      { key: 'providerProvince', header: '机构所在地', width: 10 },
      { key: 'providerName', header: '服务机构', width: 30 },
      { key: 'providerCreditCode', header: '统一社会信用代码', width: 22 },
      { key: 'claimCount', header: '笔数', width: 8 },
      { key: 'totalFen', header: '创新券兑付额', fen: true },
    ],
    rows: (async function* () {
      const rows = await query<Record<string, unknown>>(
        `SELECT programme_id AS "programmeId", issuing_province AS "issuingProvince", provider_province AS "providerProvince",
                max(provider_name) AS "providerName", max(provider_credit_code) AS "providerCreditCode",
                sum(claim_count)::bigint AS "claimCount", sum(total_fen)::bigint AS "totalFen"
           FROM settlement.statement_lines WHERE run_id = ANY($1::uuid[])
          GROUP BY programme_id, issuing_province, provider_province, provider_id
          ORDER BY programme_id, provider_province, "totalFen" DESC, provider_id`,
        [filter.runIds],
      );
      let total = 0n;
      let count = 0n;
      for (const r of rows) {
        total += BigInt(r.totalFen as bigint);
        count += BigInt(r.claimCount as bigint);
        yield { ...r, issuingProvince: provinceName(String(r.issuingProvince)), providerProvince: provinceName(String(r.providerProvince)) };
      }
      yield { programmeId: '合计', claimCount: count, totalFen: total };
    })(),
  };
}

/** The year-end reward list (绩效奖励). */
export function rewardsTable(query: Query, programmeId: string, year: number): OutputTable {
  return {
    title: '绩效奖励名单',
    columns: [
      { key: 'providerName', header: '服务机构', width: 30 },
      { key: 'creditCode', header: '统一社会信用代码', width: 22 },
      { key: 'serviceTotalFen', header: '年度创新券服务总额', fen: true },
      { key: 'uncappedFen', header: '按比例奖励', fen: true },
      { key: 'rewardFen', header: '奖励金额', fen: true },
    ],
    rows: (async function* () {
      yield* await query<Record<string, unknown>>(
        `SELECT provider_name AS "providerName", credit_code AS "creditCode", service_total_fen AS "serviceTotalFen",
                uncapped_fen AS "uncappedFen", reward_fen AS "rewardFen"
           FROM settlement.rewards WHERE programme_id = $1 AND year = $2 ORDER BY credit_code, provider_id`,
        [programmeId, year],
      );
    })(),
  };
}

/** The data of the PDF notice: the window and the first rows of the list. */
export async function noticeData(query: Query, runId: string, maxRows = 500): Promise<PublicityNotice | null> {
  const [run] = await query<RunRow>(`SELECT ${RUN_COLUMNS} FROM settlement.runs WHERE id = $1`, [runId]);
  if (!run || !run.published_on) return null;
  // The list's size and V come from the run's counters (migration 1764000000407), not a count of its claims.
  const sum = listedOf(run);
  const rows = await query<{ enterpriseName: string; providerName: string; providerProvince: string; amountFen: bigint; voucherFen: bigint }>(
    `SELECT enterprise_name AS "enterpriseName", provider_name AS "providerName", provider_province AS "providerProvince", amount_fen AS "amountFen", voucher_fen AS "voucherFen"
       FROM settlement.claims_current WHERE ${inRun('$1::uuid')} AND state IN ('approved', 'held', 'paid') ORDER BY enterprise_name, claim_id LIMIT $2`,
    [runId, maxRows],
  );
  const names: Record<string, string> = { SH: '上海市', JS: '江苏省', ZJ: '浙江省', AH: '安徽省' };
  return {
    programmeId: run.programme_id,
    provinceName: names[run.province] ?? run.province,
    quarter: run.quarter,
    publishedOn: run.published_on,
    firstDay: run.publicity_first_day!,
    lastDay: run.publicity_last_day!,
    workingDays: run.publicity_working_days!,
    claimCount: sum.n,
    voucherFen: sum.fen,
    rows,
    objectionChannel: `长三角创新券公示页面在线提交（公示编号 ${runId}）`,
  };
}
