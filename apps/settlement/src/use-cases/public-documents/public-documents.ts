import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { DomainError, ErrorCode } from '@vc/errors';
import { RunRow } from '../../sql/runs';

/** The public documents of a published run (R-PUB-1), by the name the gateway serves them under. */
export const PUBLIC_DOCUMENTS = ['notice.pdf', 'list.csv', 'list.xlsx'] as const;
export type PublicDocumentName = (typeof PUBLIC_DOCUMENTS)[number];

/** A reply travels as one NATS message (1 MB by default); larger outputs come from the CLI. */
export const MAX_EXPORT_BYTES = 700 * 1024;

/**
 * What a run's public documents show, as one value: the window, the run's state and its counters
 * of listed, held and paid claims (every step that moves a claim moves them, settlement.sql's
 * tallyRun). Documents rendered from another value are out of date. The counters only move
 * forward (a held claim is rejected or deferred, never listed again), so a value never comes back.
 */
export function publicSource(run: RunRow): string {
  const parts = [
    run.state,
    run.published_on,
    run.publicity_first_day,
    run.publicity_last_day,
    run.approved_count,
    run.approved_fen,
    run.held_count,
    run.held_fen,
    run.rejected_count,
    run.rejected_fen,
    run.paid_count,
    run.paid_fen,
  ];
  return createHash('sha256').update(parts.map(String).join('|')).digest('hex').slice(0, 32);
}

/** A strong ETag of a document's bytes. */
export function etagOf(bytes: Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 32)}"`;
}

/** Thrown by a bounded collector once a file outgrows its bound: the writer stops there. */
export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
  }
}

/**
 * A writable that keeps what is written, up to `limit` bytes: beyond it the stream fails, so that a
 * file larger than a reply carries is abandoned as soon as that is known, not built whole in memory
 * first (issue 29: a run's list of millions of claims could exhaust the service's memory).
 */
export function boundedCollector(limit = MAX_EXPORT_BYTES): { stream: Writable; bytes: () => Buffer; full: () => boolean } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > limit) return done(new TooLargeError(limit));
      chunks.push(chunk);
      done();
    },
  });
  return { stream, bytes: () => Buffer.concat(chunks), full: () => size > limit };
}

/**
 * The rows of a table until `collector` is full: a writer that goes on reading after its output
 * refused more (exceljs's does) would read a large run's whole list for a file nobody gets.
 */
export async function* untilFull<T>(rows: AsyncIterable<T>, collector: { full: () => boolean }, limit = MAX_EXPORT_BYTES): AsyncIterable<T> {
  for await (const row of rows) {
    if (collector.full()) throw new TooLargeError(limit);
    yield row;
  }
}

/** The refusal of a file larger than a reply carries. */
export function tooLarge(filename: string, bytes: number | null, limit = MAX_EXPORT_BYTES): DomainError {
  return new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, {
    message: `${filename} is ${bytes === null ? `more than ${limit}` : bytes} bytes, more than a reply carries; produce it with the settle CLI (--out)`,
    details: { ...(bytes === null ? {} : { bytes }), limit },
  });
}
