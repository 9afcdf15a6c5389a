import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { boundedCollector, TooLargeError, untilFull } from './public-documents';

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
