import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BankReportEntryView, BankReportView, ImportBankReportDto, Principal, Role } from '@vc/contracts';
import { advisoryKey, queryRows, Tx } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { BankReportError, ParsedEntry, parseBankReport } from '../../bank/bank-report.parser';
import { instructionIdOf } from '../../bank/payments.sql';
import { reasonText } from '../../bank/reason-codes';

interface Target {
  id: string;
  total_fen: bigint;
  bank_status: 'held' | 'outstanding' | 'settled' | 'returned';
  province: string;
}

/**
 * The bank's answer to a run's payment file (pain.002 or camt.054), imported by the programme's
 * operator (CLI `settle bank import`, HTTP `POST /v1/settlement/bank-reports`): each transfer it
 * names becomes settled, or returned with the bank's reason code (closed account, wrong name…).
 *
 * Only the operator's own province's instructions are touched; a line naming another or no
 * instruction is recorded as unknown. An amount that differs from the instruction's is not applied.
 * An instruction moves outstanding → settled or returned, and settled → returned (a payment the
 * payee's bank sent back after booking it); never back from returned, and a held one (never sent)
 * not at all: such a line is a conflict, recorded and shown. Every line is kept with what it did
 * (bank_report_entries); the same file imported again is recognised by its digest and applies
 * nothing twice. A returned instruction waits for the payee's corrected details and is paid again by
 * the programme's next disbursement (DisburseUseCase), once.
 */
@Injectable()
export class ImportBankReportUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: ImportBankReportDto, key?: string): Promise<BankReportView> {
    if (principal.role !== Role.ProgrammeOperator || !principal.province || principal.org !== principal.province) {
      throw new DomainError(ErrorCode.FORBIDDEN, { message: "a programme's operator imports its bank's answers" });
    }
    const province = principal.province;
    let parsed: ReturnType<typeof parseBankReport>;
    try {
      parsed = parseBankReport(dto.content);
    } catch (err) {
      if (err instanceof BankReportError) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: err.field === 'content' ? 'content' : `content.${err.field}`, message: err.message });
      throw err;
    }
    const digest = createHash('sha256').update(dto.content).digest('hex');
    return this.uow.idempotent(principal, 'bank-report.import', key, { digest }, async (work) => {
      // One import of a file at a time: the same file imported twice at once is applied by the
      // first; the second waits here, then finds it imported.
      await work.query(`SELECT pg_advisory_xact_lock($1)`, [advisoryKey(`bank-report:${digest}`)]);
      const [seen] = await work.query<{ id: string; province: string }>(`SELECT id, province FROM settlement.bank_reports WHERE digest = $1`, [digest]);
      if (seen) {
        if (seen.province !== province) throw new DomainError(ErrorCode.ALREADY_EXISTS, { field: 'content', message: 'this file was imported before' });
        return { ...(await storedReport(work.tx, seen.id)), alreadyImported: true };
      }
      const entries = await this.expandRejectedBlocks(work.tx, parsed.entries, parsed.rejectedBlocks);
      const ids = [...new Set(entries.map((e) => instructionIdOf(e.reference)).filter((id): id is string => id !== null))];
      const targets = new Map(
        (
          await work.query<Target>(
            `SELECT i.id, i.total_fen, i.bank_status, r.province FROM settlement.instructions i JOIN settlement.runs r ON r.id = i.run_id
              WHERE i.id = ANY($1::uuid[]) ORDER BY i.id FOR UPDATE OF i`,
            [ids],
          )
        ).map((t) => [t.id, t]),
      );
      const now = this.clock.now();
      const results: BankReportEntryView[] = [];
      const changed = new Map<string, { status: string; code: string | null; reason: string | null }>();
      for (const e of entries) {
        const id = instructionIdOf(e.reference);
        const target = id ? targets.get(id) : undefined;
        const reason = e.status === 'returned' ? reasonText(e.reasonCode, e.reasonInfo) : null;
        const view: BankReportEntryView = {
          line: e.line,
          reference: e.reference,
          instructionId: target && target.province === province ? target.id : null,
          status: e.status,
          reasonCode: e.reasonCode,
          reason,
          amountFen: e.amountFen,
          outcome: 'unknown',
          previousStatus: null,
        };
        results.push(view);
        if (!target || target.province !== province) continue;
        view.previousStatus = target.bank_status;
        if (e.status === 'pending') view.outcome = 'acknowledged';
        else if (e.amountFen !== null && e.amountFen !== target.total_fen) view.outcome = 'amount_differs';
        else if (e.status === target.bank_status) view.outcome = 'unchanged';
        else if (target.bank_status === 'outstanding' || (target.bank_status === 'settled' && e.status === 'returned')) {
          view.outcome = 'applied';
          target.bank_status = e.status;
          changed.set(target.id, { status: e.status, code: e.status === 'returned' ? e.reasonCode : null, reason });
        } else view.outcome = 'conflict';
      }
      if (changed.size) {
        const list = [...changed.entries()];
        await work.query(
          `UPDATE settlement.instructions i SET bank_status = c.status, bank_reason_code = c.code, bank_reason = c.reason, bank_status_at = $4
             FROM unnest($1::uuid[], $2::text[], $3::text[], $5::text[]) AS c(id, status, code, reason)
            WHERE i.id = c.id`,
          [list.map(([id]) => id), list.map(([, c]) => c.status), list.map(([, c]) => c.code), now, list.map(([, c]) => c.reason)],
        );
      }
      const applied = results.filter((r) => r.outcome === 'applied').length;
      const [report] = await work.query<{ id: string }>(
        `INSERT INTO settlement.bank_reports (format, message_id, digest, province, entry_count, applied_count, imported_by_sub, imported_by_role, imported_by_org, imported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
        [parsed.format, parsed.messageId, digest, province, results.length, applied, principal.sub, principal.role, principal.org, now],
      );
      if (results.length) {
        await work.query(
          `INSERT INTO settlement.bank_report_entries (report_id, line, reference, instruction_id, status, reason_code, reason, amount_fen, outcome, previous_status)
           SELECT $1, * FROM unnest($2::int[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[])`,
          [
            report.id,
            results.map((r) => r.line),
            results.map((r) => r.reference),
            results.map((r) => r.instructionId),
            results.map((r) => r.status),
            results.map((r) => r.reasonCode),
            results.map((r) => r.reason),
            results.map((r) => (r.amountFen === null ? null : String(r.amountFen))),
            results.map((r) => r.outcome),
            results.map((r) => r.previousStatus),
          ],
        );
      }
      const outcomes: Record<string, number> = {};
      for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      await work.audit({
        action: 'bank-report.imported',
        entityType: 'bank-report',
        entityId: report.id,
        data: {
          format: parsed.format,
          messageId: parsed.messageId,
          digest,
          outcomes,
          settled: [...changed.entries()].filter(([, c]) => c.status === 'settled').map(([id]) => id),
          returned: [...changed.entries()].filter(([, c]) => c.status === 'returned').map(([id, c]) => ({ instructionId: id, reasonCode: c.code })),
        },
      });
      return { id: report.id, format: parsed.format, messageId: parsed.messageId, alreadyImported: false, entryCount: results.length, appliedCount: applied, importedAt: now.toISOString(), entries: results };
    });
  }

  /**
   * A whole file or payment block rejected (pain.002 GrpSts / PmtInfSts RJCT, no transaction lines):
   * every transfer that file sent is returned, with the block's reason. The file's message id is
   * VC<run>, its block PI<run> (pain001.ts).
   */
  private async expandRejectedBlocks(tx: Tx, entries: ParsedEntry[], blocks: Array<{ reference: string; reasonCode: string | null; reasonInfo: string | null }>): Promise<ParsedEntry[]> {
    const out = [...entries];
    let line = entries.reduce((m, e) => Math.max(m, e.line), 0);
    for (const block of blocks) {
      const runId = /^(VC|PI)[0-9a-f]{32}$/i.test(block.reference) ? instructionIdOf(block.reference.slice(2)) : null;
      if (!runId) {
        out.push({ line: ++line, reference: block.reference || null, status: 'returned', reasonCode: block.reasonCode, reasonInfo: block.reasonInfo, amountFen: null });
        continue;
      }
      const sent = await queryRows<{ e2e: string }>(tx, `SELECT replace(id::text, '-', '') AS e2e FROM settlement.instructions WHERE run_id = $1 AND account_version IS NOT NULL ORDER BY id`, [runId]);
      for (const s of sent) out.push({ line: ++line, reference: s.e2e, status: 'returned', reasonCode: block.reasonCode, reasonInfo: block.reasonInfo, amountFen: null });
    }
    return out;
  }
}

/** A report imported before, as it was applied. */
export async function storedReport(tx: Tx, reportId: string): Promise<Omit<BankReportView, 'alreadyImported'>> {
  const [r] = await queryRows<{ id: string; format: 'pain.002' | 'camt.054'; message_id: string; entry_count: number; applied_count: number; imported_at: Date }>(
    tx,
    `SELECT id, format, message_id, entry_count, applied_count, imported_at FROM settlement.bank_reports WHERE id = $1`,
    [reportId],
  );
  const entries = await queryRows<BankReportEntryView>(
    tx,
    `SELECT line, reference, instruction_id AS "instructionId", status, reason_code AS "reasonCode", reason, amount_fen AS "amountFen", outcome, previous_status AS "previousStatus"
       FROM settlement.bank_report_entries WHERE report_id = $1 ORDER BY line`,
    [reportId],
  );
  return { id: r.id, format: r.format, messageId: r.message_id, entryCount: r.entry_count, appliedCount: r.applied_count, importedAt: r.imported_at.toISOString(), entries };
}
