import { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { Principal, RewardQueryDto, RunIdDto, RunView, StatementQueryDto, StatementView, validateDto } from '@vc/contracts';
import { DomainError } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { pain001 } from '../bank/pain001';
import { pain001Data } from '../bank/pain001.source';
import { cjkFont, OutputTable, renderNoticePdf, writeCsv, writeXlsx } from '../outputs/documents';
import { instructionsTable, noticeData, publicityTable, Query, rewardsTable, statementTable } from '../outputs/sources';
import { RunProgress, SILENT } from './progress';
import { RewardsUseCase } from './rewards.use-case';
import { RunQueries } from './run-queries';
import { StatementUseCase } from './statement.use-case';

/** Where a file goes: the caller opens a stream for each file name (a directory, an archive, a reply). */
export type FileSink = (filename: string) => Writable;

/** Bytes written as a file through a sink, complete when the promise settles. */
function writeBytes(sink: FileSink, filename: string, bytes: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = sink(filename);
    out.on('error', reject);
    out.end(bytes, () => resolve());
  });
}

/**
 * The settlement outputs as files for the batch front end (`settle run`, `resume`, `statement`,
 * `rewards`): each table as CSV and XLSX, the publicity notice as PDF, the payment instructions
 * in the bank's format (pain.001). The reads happen here; the caller says where the bytes go.
 * The principal must be able to read the run (RunQueries.get), the statement or the rewards.
 */
@Injectable()
export class OutputFilesUseCase {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly runs: RunQueries,
    private readonly statements: StatementUseCase,
    private readonly rewards: RewardsUseCase,
  ) {}

  /**
   * The outputs a run has so far: publicity list and notice once published; instructions and
   * statement once completed. While objections may still move claims (a run not completed), the
   * list and the notice's totals are read in one snapshot, so they agree; the PDF is drawn after
   * it closes. A completed run's files no longer change and are read without one.
   */
  async run(principal: Principal, dto: RunIdDto, sink: FileSink, progress: RunProgress = SILENT): Promise<{ run: RunView; files: string[] }> {
    const run = await this.runs.get(principal, validateDto(RunIdDto, dto));
    const files: string[] = [];
    const query: Query = (sql, params) => this.uow.query(sql, params);
    if (run.publication) {
      cjkFont(); // a clear error before any work when no CJK font is installed
      const readList = async (q: Query) => {
        const written = await this.tables(sink, 'publicity-list', (qq) => publicityTable(qq, run.id), q, progress);
        return { written, notice: await noticeData(q, run.id) };
      };
      const { written, notice } = run.state === 'completed' ? await readList(query) : await this.uow.snapshot((q) => readList(q));
      files.push(...written);
      await writeBytes(sink, 'publicity-notice.pdf', await renderNoticePdf(notice!));
      files.push('publicity-notice.pdf');
    }
    if (run.state === 'completed') {
      files.push(...(await this.tables(sink, 'payment-instructions', (q) => instructionsTable(q, run.id), query, progress)));
      // the bank's format (ISO 20022 pain.001), once the programme's paying account is on file
      try {
        const xml = pain001(await pain001Data(query, run.id));
        await writeBytes(sink, 'payment-instructions.pain001.xml', xml);
        files.push('payment-instructions.pain001.xml');
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        progress.note(`no pain.001 file: ${err.message}`, { code: err.code });
      }
      files.push(...(await this.tables(sink, 'statement', (q) => statementTable(q, { runIds: [run.id] }), query, progress)));
    }
    return { run, files };
  }

  /** R-CLEAR-1: the statement of a quarter (StatementUseCase, which checks who may read it), with its table as files. */
  async statement(principal: Principal, dto: StatementQueryDto, sink: FileSink, progress: RunProgress = SILENT): Promise<{ statement: StatementView; files: string[] }> {
    const statement = await this.statements.get(principal, dto);
    const name = `statement-${dto.quarter ?? dto.runId}${dto.programmeId ? `-${dto.programmeId}` : ''}`;
    const files = await this.tables(sink, name, (q) => statementTable(q, { runIds: statement.runIds }), (sql, params) => this.uow.query(sql, params), progress);
    return { statement, files };
  }

  /** R-REWARD-1: a programme's rewards of a year as files, for a principal who may read them (RewardsUseCase.list). */
  async rewardsOf(principal: Principal, dto: RewardQueryDto, sink: FileSink, progress: RunProgress = SILENT): Promise<string[]> {
    const checked = validateDto(RewardQueryDto, dto);
    await this.rewards.list(principal, checked);
    return this.tables(sink, `rewards-${checked.programmeId}-${checked.year}`, (q) => rewardsTable(q, checked.programmeId, checked.year), (sql, params) => this.uow.query(sql, params), progress);
  }

  /** A table as CSV and XLSX, read with `query` (the pool, or a snapshot's); returns the file names. */
  private async tables(sink: FileSink, name: string, make: (query: Query) => OutputTable, query: Query, progress: RunProgress): Promise<string[]> {
    const files = [`${name}.csv`, `${name}.xlsx`];
    progress.start(name, 2);
    const rows = await writeCsv(make(query), sink(files[0]));
    progress.tick({ file: files[0], rows });
    await writeXlsx(make(query), sink(files[1]));
    progress.tick({ file: files[1], rows });
    progress.stop();
    return files;
  }
}
