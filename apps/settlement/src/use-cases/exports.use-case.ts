import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { ExportDto, ExportView, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Tx } from '@vc/database';
import { UnitOfWork } from '@vc/platform';
import { OutputTable, writeCsv, writeXlsx } from '../outputs/documents';
import { instructionsTable, publicityTable, Query, rewardsTable, statementTable } from '../outputs/sources';
import { canReadProvince, provinceOfProgramme } from '../sql/access';
import { findRun, RunRow } from '../sql/runs';
import { pain001 } from '../bank/pain001';
import { pain001Data } from '../bank/pain001.source';
import { boundedCollector, MAX_EXPORT_BYTES, PublicDocumentName, tooLarge, TooLargeError } from './public-documents/public-documents';
import { RenderPublicDocumentsUseCase } from './public-documents/render-public-documents.use-case';

export { MAX_EXPORT_BYTES };

const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
} as const;

/**
 * The outputs of the settlement service as files (CSV, XLSX, XML, the PDF notice), for the
 * gateway's downloads. A published run's public documents (the notice, the list) are served as
 * RenderPublicDocumentsUseCase stored them, with their ETag: nothing public is rendered on request.
 */
@Injectable()
export class ExportsUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly documents: RenderPublicDocumentsUseCase) {}

  /** Each file is read in one snapshot: its pages, and the run it comes from, agree with each other. */
  async execute(principal: Principal | undefined, dto: ExportDto): Promise<ExportView> {
    return this.uow.snapshot((query, tx) => this.build(principal, dto, query, tx));
  }

  private async build(principal: Principal | undefined, dto: ExportDto, query: Query, tx: Tx): Promise<ExportView> {
    let table: OutputTable | null = null;
    let name: string;
    if (dto.kind === 'rewards') {
      if (!principal) throw new DomainError(ErrorCode.UNAUTHENTICATED);
      if (!dto.programmeId || !dto.year) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'programmeId', message: 'rewards need programmeId and year' });
      if (!canReadProvince(principal, provinceOfProgramme(dto.programmeId))) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'programmeId', message: 'no rewards of this programme' });
      table = rewardsTable(query, dto.programmeId, dto.year);
      name = `rewards-${dto.programmeId}-${dto.year}`;
    } else if (dto.kind === 'statement' && !dto.runId) {
      if (!principal) throw new DomainError(ErrorCode.UNAUTHENTICATED);
      requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator, Role.Auditor);
      if (!dto.quarter) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'quarter', message: 'a statement needs a runId or a quarter' });
      const own = principal.role === Role.ProgrammeOperator ? principal.province ?? '-' : null;
      const runs = await query<{ id: string }>(
        `SELECT id FROM settlement.runs WHERE state = 'completed' AND quarter = $1 AND ($2::text IS NULL OR programme_id = $2) AND ($3::text IS NULL OR province = $3)`,
        [dto.quarter, dto.programmeId ?? null, own],
      );
      table = statementTable(query, { runIds: runs.map((r) => r.id) });
      name = `statement-${dto.quarter}${dto.programmeId ? `-${dto.programmeId}` : ''}`;
    } else {
      if (!dto.runId) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'runId', message: `${dto.kind} needs a runId` });
      const run = await findRun(tx, dto.runId);
      // The publicity list and notice are public once published; the rest is for the run's readers.
      const publicKind = dto.kind === 'publicity' || dto.kind === 'notice';
      const readable = run && (publicKind ? run.published_on !== null || (principal && canReadProvince(principal, run.province)) : principal && canReadProvince(principal, run.province));
      if (!run || !readable) {
        if (!principal && !publicKind) throw new DomainError(ErrorCode.UNAUTHENTICATED);
        throw new DomainError(ErrorCode.NOT_FOUND, { field: 'runId', message: 'no such settlement run' });
      }
      name = `${dto.kind}-${run.programme_id}-${run.quarter}`;
      if (dto.kind === 'notice') {
        if (dto.format !== 'pdf') throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'format', message: 'the notice is a PDF' });
        if (!run.published_on) throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: 'the run is not published yet' });
        return this.stored(query, run, 'notice.pdf', `${name}.pdf`, dto.ifNoneMatch);
      }
      if (dto.format === 'xml') {
        // ISO 20022 pain.001: the run's payment instructions as its programme's bank takes them
        if (dto.kind !== 'instructions') throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'format', message: 'only the payment instructions are an XML (pain.001) file' });
        return this.view(`payment-instructions-${run.programme_id}-${run.quarter}.pain001.xml`, 'xml', Buffer.from(pain001(await pain001Data(query, run.id)), 'utf8'));
      }
      if (dto.kind === 'publicity' && !run.published_on) throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: 'the run is not published yet' });
      if (dto.kind === 'publicity' && (dto.format === 'csv' || dto.format === 'xlsx')) return this.stored(query, run, `list.${dto.format}`, `${name}.${dto.format}`, dto.ifNoneMatch);
      if (dto.kind === 'statement') {
        if (run.state !== 'completed') throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: 'the statement is written when the run completes' });
        table = statementTable(query, { runIds: [run.id] });
      } else {
        table = dto.kind === 'instructions' ? instructionsTable(query, run.id) : publicityTable(query, run.id);
      }
    }
    if (dto.format === 'pdf' || dto.format === 'xml') {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'format', message: dto.format === 'pdf' ? 'only the notice is a PDF; use csv or xlsx' : 'only the payment instructions are an XML (pain.001) file' });
    }
    // streamed into a bounded buffer: a file larger than a reply carries stops being written as soon as it is
    const filename = `${name}.${dto.format}`;
    const out = boundedCollector();
    try {
      await (dto.format === 'csv' ? writeCsv(table, out.stream) : writeXlsx(table, out.stream));
    } catch (err) {
      if (err instanceof TooLargeError) throw tooLarge(filename, null);
      throw err;
    }
    return this.view(filename, dto.format, out.bytes());
  }

  /**
   * A public document as it was stored when rendered. A caller holding its current ETag gets no
   * content (`notModified`): the gateway keeps a copy, so a download costs settlement one indexed
   * read of a few bytes. Not rendered yet (just published): UNAVAILABLE, retry shortly.
   */
  private async stored(query: Query, run: RunRow, name: PublicDocumentName, filename: string, ifNoneMatch?: string): Promise<ExportView> {
    const [doc] = await query<{ etag: string; content: Buffer | null; bytes: number; current: boolean }>(
      `SELECT etag, bytes, etag = $3 AS current, CASE WHEN etag = $3 THEN NULL ELSE content END AS content FROM settlement.public_documents WHERE run_id = $1 AND name = $2`,
      [run.id, name, ifNoneMatch ?? null],
    );
    if (!doc) {
      this.documents.nudge();
      throw new DomainError(ErrorCode.UNAVAILABLE, {
        field: 'runId',
        message: `the run's ${name} is being prepared since its publication; try again in a few seconds`,
        details: { retryAfterSeconds: 5 },
      });
    }
    const format = name.slice(name.lastIndexOf('.') + 1) as keyof typeof CONTENT_TYPES;
    if (doc.current) return { filename, contentType: CONTENT_TYPES[format], content: '', bytes: doc.bytes, etag: doc.etag, notModified: true };
    if (!doc.content) throw tooLarge(filename, null);
    return { ...this.view(filename, format, doc.content), etag: doc.etag };
  }

  private view(filename: string, format: keyof typeof CONTENT_TYPES, bytes: Buffer): ExportView {
    if (bytes.length > MAX_EXPORT_BYTES) throw tooLarge(filename, bytes.length);
    return { filename, contentType: CONTENT_TYPES[format], content: bytes.toString('base64'), bytes: bytes.length, etag: null, notModified: false };
  }
}
