import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { ExportDto, ExportView, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Tx } from '@vc/database';
import { UnitOfWork } from '@vc/platform';
import { CjkFontMissingError, collector, OutputTable, PublicityNotice, renderNoticePdf, writeCsv, writeXlsx } from '../outputs/documents';
import { instructionsTable, noticeData, publicityTable, Query, rewardsTable, statementTable } from '../outputs/sources';
import { canReadProvince, findRun, provinceOfProgramme } from '../settlement.sql';
import { pain001 } from '../bank/pain001';
import { pain001Data } from '../bank/pain001.source';

/** A reply travels as one NATS message (1 MB by default); larger outputs come from the CLI. */
export const MAX_EXPORT_BYTES = 700 * 1024;

const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
} as const;

/** The outputs of the settlement service as files (CSV, XLSX, the PDF notice), for the gateway's downloads. */
@Injectable()
export class ExportsUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Each file is read in one snapshot: its pages, and the run it comes from, agree with each other.
   * The notice's data is read there too, and its PDF drawn after the snapshot has closed, so that a
   * public download holds no database connection while the PDF is drawn.
   */
  async execute(principal: Principal | undefined, dto: ExportDto): Promise<ExportView> {
    const built = await this.uow.snapshot((query, tx) => this.build(principal, dto, query, tx));
    if (!('notice' in built)) return built;
    try {
      return this.view(built.filename, 'pdf', await renderNoticePdf(built.notice));
    } catch (err) {
      if (err instanceof CjkFontMissingError) throw new DomainError(ErrorCode.UNAVAILABLE, { message: err.message });
      throw err;
    }
  }

  private async build(principal: Principal | undefined, dto: ExportDto, query: Query, tx: Tx): Promise<ExportView | { notice: PublicityNotice; filename: string }> {
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
        const notice = await noticeData(query, run.id);
        if (!notice) throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: 'the run is not published yet' });
        return { notice, filename: `${name}.pdf` };
      }
      if (dto.format === 'xml') {
        // ISO 20022 pain.001: the run's payment instructions as its programme's bank takes them
        if (dto.kind !== 'instructions') throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'format', message: 'only the payment instructions are an XML (pain.001) file' });
        return this.view(`payment-instructions-${run.programme_id}-${run.quarter}.pain001.xml`, 'xml', Buffer.from(pain001(await pain001Data(query, run.id)), 'utf8'));
      }
      if (dto.kind === 'publicity' && !run.published_on) throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: 'the run is not published yet' });
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
    const out = collector();
    await (dto.format === 'csv' ? writeCsv(table, out.stream) : writeXlsx(table, out.stream));
    return this.view(`${name}.${dto.format}`, dto.format, out.bytes());
  }

  private view(filename: string, format: keyof typeof CONTENT_TYPES, bytes: Buffer): ExportView {
    if (bytes.length > MAX_EXPORT_BYTES) {
      throw new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, {
        message: `${filename} is ${bytes.length} bytes, more than a reply carries; produce it with the settle CLI (--out)`,
        details: { bytes: bytes.length, limit: MAX_EXPORT_BYTES },
      });
    }
    return { filename, contentType: CONTENT_TYPES[format], content: bytes.toString('base64'), bytes: bytes.length };
  }
}
