import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type ExcelJS from 'exceljs';
import { formatYuan } from '@vc/domain';

/** One output table: columns with Chinese headers, rows streamed (a run may list millions). */
export interface Column {
  key: string;
  header: string;
  width?: number;
  /** fen: written as integer fen, with a yuan column beside it */
  fen?: boolean;
}

export interface OutputTable {
  title: string;
  columns: Column[];
  rows: AsyncIterable<Record<string, unknown>>;
}

/** Excel's row limit; longer tables continue on further sheets. */
const MAX_SHEET_ROWS = 1_000_000;

/** Spreadsheet cells take numbers, not bigints: a safe integer becomes a number, a larger one text. */
function cell(v: unknown): unknown {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  return v ?? '';
}

function expandColumns(columns: Column[]): Array<{ key: string; header: string; width: number; value: (row: Record<string, unknown>) => unknown }> {
  const out = [];
  for (const c of columns) {
    if (c.fen) {
      out.push({ key: c.key, header: `${c.header}（分）`, width: c.width ?? 16, value: (r: Record<string, unknown>) => (r[c.key] === null || r[c.key] === undefined ? '' : cell(BigInt(r[c.key] as bigint))) });
      out.push({ key: `${c.key}Yuan`, header: `${c.header}（元）`, width: c.width ?? 16, value: (r: Record<string, unknown>) => (r[c.key] === null || r[c.key] === undefined ? '' : formatYuan(BigInt(r[c.key] as bigint))) });
    } else {
      out.push({ key: c.key, header: c.header, width: c.width ?? 18, value: (r: Record<string, unknown>) => cell(r[c.key]) });
    }
  }
  return out;
}

/**
 * CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese headers). Returns the row count.
 * Text that a spreadsheet would take for a formula (=, +, -, @ … first: names come from
 * enterprises and providers, and the publicity list is public) is written with a leading
 * apostrophe, so that it stays text (OWASP CSV injection).
 */
export async function writeCsv(table: OutputTable, out: Writable): Promise<number> {
  const cols = expandColumns(table.columns);
  const csv = stringify({ header: true, bom: true, escape_formulas: true, columns: cols.map((c) => ({ key: c.key, header: c.header })) });
  let count = 0;
  async function* lines() {
    for await (const row of table.rows) {
      count++;
      yield Object.fromEntries(cols.map((c) => [c.key, c.value(row)]));
    }
  }
  await pipeline(lines, csv, out);
  return count;
}

/** XLSX through exceljs's streaming writer (constant memory); money as integer fen and as yuan text. */
export async function writeXlsx(table: OutputTable, out: Writable): Promise<number> {
  // Loaded on the first workbook, not at boot: exceljs alone adds about 28 MiB to a process's RSS,
  // which the settlement service would carry all the time for an occasional export.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const excel: typeof ExcelJS = require('exceljs');
  const cols = expandColumns(table.columns);
  const workbook = new excel.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  workbook.creator = 'settlement';
  let sheet: ExcelJS.Worksheet | null = null;
  let count = 0;
  const newSheet = (n: number) => {
    const ws = workbook.addWorksheet(n === 1 ? table.title.slice(0, 31) : `${table.title.slice(0, 26)} (${n})`);
    ws.columns = cols.map((c) => ({ header: c.header, key: c.key, width: c.width }));
    ws.getRow(1).font = { bold: true };
    return ws;
  };
  sheet = newSheet(1);
  for await (const row of table.rows) {
    if (count > 0 && count % MAX_SHEET_ROWS === 0) {
      sheet.commit();
      sheet = newSheet(count / MAX_SHEET_ROWS + 1);
    }
    sheet.addRow(Object.fromEntries(cols.map((c) => [c.key, c.value(row)]))).commit();
    count++;
  }
  sheet.commit();
  await workbook.commit();
  return count;
}

/** A writable that collects bytes (for a file returned in a reply). */
export function collector(): { stream: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, bytes: () => Buffer.concat(chunks) };
}

// ---- PDF publicity notice ---------------------------------------------------------------

export class CjkFontMissingError extends Error {}

/**
 * A font with CJK glyphs for the PDF notice, looked up in this order: SETTLEMENT_CJK_FONT (an
 * absolute path), the npm package @embedpdf/fonts-sc (Noto Sans Hans OTF, OFL-1.1), then the
 * Debian packages fonts-noto-cjk and fonts-wqy-microhei. Without one the notice cannot be printed:
 * refuse clearly rather than print empty boxes.
 */
export function cjkFont(env: Record<string, string | undefined> = process.env): { normal: string | [string, string]; bold: string | [string, string] } {
  const configured = env.SETTLEMENT_CJK_FONT;
  if (configured) {
    if (!configured.startsWith('/') || !existsSync(configured)) throw new CjkFontMissingError(`SETTLEMENT_CJK_FONT=${configured}: no such font file (an absolute path is required)`);
    return { normal: configured, bold: configured };
  }
  try {
    const dir = join(dirname(require.resolve('@embedpdf/fonts-sc')), '..', 'fonts');
    const regular = join(dir, 'NotoSansHans-Regular.otf');
    const bold = join(dir, 'NotoSansHans-Bold.otf');
    if (existsSync(regular)) return { normal: regular, bold: existsSync(bold) ? bold : regular };
  } catch {
    // not installed; try the system fonts
  }
  const system: Array<[string, string]> = [
    ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', 'NotoSansCJKsc-Regular'],
    ['/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', 'WenQuanYiMicroHei'],
  ];
  for (const [path, name] of system) {
    if (existsSync(path)) {
      const boldPath = path.replace('Regular', 'Bold');
      return { normal: [path, name], bold: existsSync(boldPath) && boldPath !== path ? [boldPath, name.replace('Regular', 'Bold')] : [path, name] };
    }
  }
  throw new CjkFontMissingError(
    'no font with Chinese glyphs for the PDF notice: install the npm package @embedpdf/fonts-sc, or the Debian package fonts-noto-cjk or fonts-wqy-microhei, or set SETTLEMENT_CJK_FONT to an absolute path of a TTF/OTF/TTC font',
  );
}

export interface PublicityNotice {
  programmeId: string;
  provinceName: string;
  quarter: string;
  publishedOn: string;
  firstDay: string;
  lastDay: string;
  workingDays: number;
  claimCount: number;
  voucherFen: bigint;
  /** the first rows of the list; the full list is in the CSV/XLSX */
  rows: Array<{ enterpriseName: string; providerName: string; providerProvince: string; amountFen: bigint; voucherFen: bigint }>;
  objectionChannel: string;
}

const PROVINCE_NAMES: Record<string, string> = { SH: '上海', JS: '江苏', ZJ: '浙江', AH: '安徽', OTHER: '区外' };

export function provinceName(code: string): string {
  return PROVINCE_NAMES[code] ?? code;
}

function chineseDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

function chineseQuarter(quarter: string): string {
  return `${quarter.slice(0, 4)}年第${'一二三四'[Number(quarter.slice(5)) - 1]}季度`;
}

/** The publicity notice (公示) as a PDF, Chinese text in an embedded CJK font. */
export async function renderNoticePdf(notice: PublicityNotice): Promise<Buffer> {
  // pdfmake keeps its fonts in a module-level singleton; set them for each document.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pdfmake = require('pdfmake');
  pdfmake.setFonts({ CJK: cjkFont() });
  pdfmake.setUrlAccessPolicy(() => false);
  pdfmake.setLocalAccessPolicy(() => true);
  const body = [
    [
      { text: '序号', style: 'th' },
      { text: '企业名称', style: 'th' },
      { text: '服务机构', style: 'th' },
      { text: '机构所在地', style: 'th' },
      { text: '服务金额（元）', style: 'th', alignment: 'right' },
      { text: '创新券兑付额（元）', style: 'th', alignment: 'right' },
    ],
    ...notice.rows.map((r, i) => [
      String(i + 1),
      r.enterpriseName,
      r.providerName,
      provinceName(r.providerProvince),
      { text: formatYuan(r.amountFen), alignment: 'right' },
      { text: formatYuan(r.voucherFen), alignment: 'right' },
    ]),
  ];
  const doc = {
    pageSize: 'A4',
    pageMargins: [40, 50, 40, 50],
    defaultStyle: { font: 'CJK', fontSize: 10, lineHeight: 1.3 },
    info: { title: `${notice.programmeId} ${notice.quarter} 创新券兑付公示` },
    styles: { title: { fontSize: 17, bold: true, alignment: 'center', margin: [0, 0, 0, 14] }, th: { bold: true, fillColor: '#eeeeee' } },
    footer: (page: number, pages: number) => ({ text: `第 ${page} 页 / 共 ${pages} 页`, alignment: 'center', fontSize: 8, margin: [0, 15, 0, 0] }),
    content: [
      { text: `${notice.provinceName}科技创新券${chineseQuarter(notice.quarter)}兑付公示`, style: 'title' },
      {
        text: `根据长三角科技创新券通用通兑有关规定，现将${notice.programmeId}创新券${chineseQuarter(notice.quarter)}拟兑付名单予以公示，` +
          `共 ${notice.claimCount} 笔，创新券兑付金额合计 ${formatYuan(notice.voucherFen)} 元。`,
        margin: [0, 0, 0, 6],
      },
      {
        text: `公示期：${chineseDate(notice.firstDay)}至${chineseDate(notice.lastDay)}（${notice.workingDays}个工作日），至${chineseDate(notice.lastDay)}24:00止。` +
          `公示期内，任何单位和个人对名单有异议的，可实名提出，并提供联系方式及相关证据：${notice.objectionChannel}。`,
        margin: [0, 0, 0, 6],
      },
      { text: `发布日期：${chineseDate(notice.publishedOn)}`, margin: [0, 0, 0, 12] },
      { table: { headerRows: 1, widths: [24, 130, '*', 44, 62, 72], body }, layout: 'lightHorizontalLines', fontSize: 9 },
      notice.rows.length < notice.claimCount
        ? { text: `（本公告列出前 ${notice.rows.length} 笔，完整名单共 ${notice.claimCount} 笔，见公示名单附件。）`, margin: [0, 8, 0, 0], fontSize: 9 }
        : { text: '' },
    ],
  };
  return pdfmake.createPdf(doc).getBuffer();
}
