import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@vc/config';
import { Principal, Role } from '@vc/contracts';
import { UnitOfWork } from '@vc/platform';
import { CjkFontMissingError, renderNoticePdf, writeCsv, writeXlsx } from '../../outputs/documents';
import { noticeData, publicityTable } from '../../outputs/sources';
import { findRun, RUN_COLUMNS, RunRow } from '../../sql/runs';
import { boundedCollector, etagOf, PublicDocumentName, publicSource, TooLargeError, untilFull } from './public-documents';

const RENDERER: Principal = { sub: 'settlement-public-documents', role: Role.Service, org: 'settlement' };

/** How long one instance may take to render a run's documents before another may try. */
const LEASE_SECONDS = 120;

type Rendered = { name: PublicDocumentName; content: Buffer | null; bytes: number };

/**
 * R-PUB-1: a published run's public documents — the PDF notice, the list as CSV and as XLSX — are
 * rendered here, once when the run is published and again when its public state changes (an
 * objection holds a claim, a decision rejects or defers it, the run pays), at most once per
 * PUBLIC_DOCUMENTS_REFRESH_SECONDS per run, and stored; downloads read the stored bytes
 * (ExportsUseCase), so that no anonymous request makes settlement render anything (issue 29).
 * One instance renders a run at a time (a lease in public_document_renders); the others skip it.
 */
@Injectable()
export class RenderPublicDocumentsUseCase {
  private readonly logger = new Logger('PublicDocuments');
  private running: Promise<number> | null = null;
  private again = false;

  constructor(private readonly uow: UnitOfWork, private readonly config: AppConfig) {}

  /**
   * Renders what is due now, in the background (a publish, an objection or a decision calls it
   * after its transaction; the timer does too). Calls while a pass runs make one more pass after it.
   */
  nudge(): void {
    void this.renderDue().catch((err) => this.logger.warn(`public documents not rendered: ${(err as Error).message}`));
  }

  /** One pass over the published runs: renders those whose documents are missing or out of date. Returns how many runs it rendered. */
  renderDue(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let rendered = 0;
      do {
        this.again = false;
        rendered += await this.pass();
      } while (this.again);
      return rendered;
    })().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<number> {
    const runs = await this.uow.query<RunRow & { rendered_source: string | null; refresh_due: boolean }>(
      `SELECT r.*, d.source AS rendered_source, (d.rendered_at IS NULL OR d.rendered_at <= now() - make_interval(secs => $1)) AS refresh_due
         FROM (SELECT ${RUN_COLUMNS} FROM settlement.runs WHERE published_on IS NOT NULL) r
         LEFT JOIN settlement.public_document_renders d ON d.run_id = r.id`,
      [this.config.PUBLIC_DOCUMENTS_REFRESH_SECONDS],
    );
    let rendered = 0;
    for (const run of runs) {
      const source = publicSource(run);
      // never rendered: now; out of date: once the last render is old enough (a flood of objections re-renders at most that often)
      if (source === run.rendered_source || (run.rendered_source !== null && !run.refresh_due)) continue;
      if (await this.render(run.id)) rendered++;
    }
    return rendered;
  }

  /** Renders and stores one run's documents under the lease; false when another instance holds it. */
  async render(runId: string): Promise<boolean> {
    const [leased] = await this.uow.query(
      `INSERT INTO settlement.public_document_renders (run_id, lease_until) VALUES ($1, now() + make_interval(secs => $2))
       ON CONFLICT (run_id) DO UPDATE SET lease_until = EXCLUDED.lease_until
        WHERE public_document_renders.lease_until IS NULL OR public_document_renders.lease_until < now()
       RETURNING run_id`,
      [runId, LEASE_SECONDS],
    );
    if (!leased) return false;
    try {
      // The list and the notice's data are read in one snapshot, with the state they show.
      const read = await this.uow.snapshot(async (query, tx) => {
        const run = (await findRun(tx, runId))!;
        const notice = await noticeData(query, runId);
        const files: Rendered[] = [];
        for (const [name, write] of [
          ['list.csv', writeCsv],
          ['list.xlsx', writeXlsx],
        ] as const) {
          const out = boundedCollector();
          try {
            const table = publicityTable(query, runId);
            await write({ ...table, rows: untilFull(table.rows, out) }, out.stream);
            const content = out.bytes();
            files.push({ name, content, bytes: content.length });
          } catch (err) {
            // larger than a reply carries: recorded as such; the CLI writes it (docs/operations.md)
            if (!(err instanceof TooLargeError)) throw err;
            files.push({ name, content: null, bytes: 0 });
          }
        }
        return { source: publicSource(run), notice, files };
      });
      // The PDF is drawn after the snapshot has closed: no connection is held while it is drawn.
      if (read.notice) {
        try {
          const pdf = await renderNoticePdf(read.notice);
          read.files.push({ name: 'notice.pdf', content: pdf, bytes: pdf.length });
        } catch (err) {
          if (!(err instanceof CjkFontMissingError)) throw err;
          this.logger.error(`the notice of run ${runId} cannot be drawn: ${err.message}`);
        }
      }
      await this.uow.run(RENDERER, async (work) => {
        for (const f of read.files) {
          await work.query(
            `INSERT INTO settlement.public_documents (run_id, name, source, etag, content, bytes, rendered_at) VALUES ($1, $2, $3, $4, $5, $6, now())
             ON CONFLICT (run_id, name) DO UPDATE SET source = $3, etag = $4, content = $5, bytes = $6, rendered_at = now()`,
            [runId, f.name, read.source, f.content ? etagOf(f.content) : '"too-large"', f.content, f.bytes],
          );
        }
        await work.query(
          `UPDATE settlement.public_document_renders SET source = $2, rendered_at = now(), renders = renders + 1, lease_until = NULL WHERE run_id = $1`,
          [runId, read.source],
        );
      });
      this.logger.log(`public documents of run ${runId} rendered (${read.files.map((f) => `${f.name} ${f.content ? `${f.bytes} bytes` : 'too large'}`).join(', ')})`);
      return true;
    } catch (err) {
      await this.uow.query(`UPDATE settlement.public_document_renders SET lease_until = NULL WHERE run_id = $1`, [runId]).catch(() => undefined);
      throw err;
    }
  }
}
