/** Output a person can read: headings, aligned tables, amounts in yuan beside fen. */
import { formatYuan } from '@vc/domain';

export function heading(text: string): void {
  console.log(`\n\x1b[1m== ${text} ==\x1b[0m`);
}

export function step(text: string): void {
  console.log(`  • ${text}`);
}

export function yuan(fen: number | string | bigint): string {
  const v = BigInt(fen);
  return v < 0n ? `-¥${formatYuan(-v)}` : `¥${formatYuan(v)}`;
}

export function table(rows: Array<Record<string, unknown>>): void {
  if (rows.length === 0) {
    console.log('    (none)');
    return;
  }
  const cols = Object.keys(rows[0]);
  const width = (s: string) => [...s].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0);
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const widths = cols.map((c) => Math.max(width(c), ...rows.map((r) => width(cell(r[c])))));
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - width(s)));
  console.log('    ' + cols.map((c, i) => pad(c, widths[i])).join('  '));
  console.log('    ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log('    ' + cols.map((c, i) => pad(cell(r[c]), widths[i])).join('  '));
}
