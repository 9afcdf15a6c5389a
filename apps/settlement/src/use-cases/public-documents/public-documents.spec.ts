import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeCsv } from '../../outputs/documents';
import { RunRow } from '../../sql/runs';
import { boundedCollector, etagOf, publicSource, TooLargeError, untilFull } from './public-documents';

describe('public documents', () => {
  it('an export larger than its bound stops being written at the bound, not after it is built whole', async () => {
    let produced = 0;
    // a list without end: only a writer that stops at the bound ever returns
    const endless = {
      title: '公示名单',
      columns: [{ key: 'name', header: '企业名称' }],
      rows: (async function* () {
        for (;;) {
          produced++;
          yield { name: `企业${produced}` };
        }
      })(),
    };
    const out = boundedCollector(64 * 1024);
    await expect(writeCsv(endless, out.stream)).rejects.toBeInstanceOf(TooLargeError);
    expect(out.bytes().length).toBeLessThanOrEqual(64 * 1024);
    expect(produced).toBeLessThan(20_000);
  });

  it('R-PUB-1: the public source changes with what the documents show, and only with it', () => {
    const run = { state: 'publicity', published_on: '2026-10-09', publicity_first_day: '2026-10-10', publicity_last_day: '2026-10-15', approved_count: 3, approved_fen: 300n, held_count: 0, held_fen: 0n, rejected_count: 0, rejected_fen: 0n, paid_count: 0, paid_fen: 0n } as unknown as RunRow;
    const held = { ...run, approved_count: 2, approved_fen: 200n, held_count: 1, held_fen: 100n };
    expect(publicSource(held)).not.toBe(publicSource(run));
    expect(publicSource({ ...run, updated_at: new Date() } as RunRow)).toBe(publicSource(run));
    expect(etagOf(Buffer.from('a'))).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(etagOf(Buffer.from('a'))).not.toBe(etagOf(Buffer.from('b')));
  });
});

describe('public documents: a list larger than a reply carries', () => {
  it('R-PUB-1: stops reading the rows once the file is over the bound, instead of reading the whole run', async () => {
    let read = 0;
    async function* rows() {
      for (let i = 0; i < 1_000_000; i++) {
        read++;
        yield `row ${i}: ${'x'.repeat(90)}\n`;
      }
    }
    const out = boundedCollector(10_000);
    out.stream.on('error', () => undefined);
    // a writer that, like exceljs's, goes on writing whatever its output said
    const writer = async () => {
      for await (const row of untilFull(rows(), out, 10_000)) {
        out.stream.write(row);
        await new Promise((r) => setImmediate(r));
      }
    };
    await expect(writer()).rejects.toBeInstanceOf(TooLargeError);
    expect(out.full()).toBe(true);
    // about 100 rows fill 10,000 bytes; never the million
    expect(read).toBeLessThan(1_000);
  });

  it('a list within the bound is read whole', async () => {
    const out = boundedCollector(10_000);
    await pipeline(Readable.from(untilFull(Readable.from(['a\n', 'b\n']), out, 10_000)), out.stream);
    expect([out.full(), out.bytes().toString()]).toEqual([false, 'a\nb\n']);
  });
});
