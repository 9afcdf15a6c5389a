import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { Principal, PROVIDER_PROVINCES, PROVINCES, Role, StatementCellView, StatementQueryDto, StatementView, validateDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { canReadProvince } from '../sql/access';
import { runPayments } from '../bank/payments.sql';

/**
 * SPEC 5.7, R-CLEAR-1: per issuing programme × provider province (SH, JS, ZJ, AH, OTHER) the count
 * and fen sum of voucher money paid, with the per-provider totals behind it; its total equals the
 * runs' payment instructions to the fen. Plus a net view: what each province's programme paid to
 * providers of each other province, against what it received.
 * Operators see their own programmes' statements and the pairs that involve their province; the
 * delta desk and auditors see everything.
 */
@Injectable()
export class StatementUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async get(principal: Principal, dto: StatementQueryDto): Promise<StatementView> {
    dto = validateDto(StatementQueryDto, dto);
    requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator, Role.Auditor);
    if (!dto.runId && !dto.quarter) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'quarter', message: 'give a quarter or a runId' });
    const own = principal.role === Role.ProgrammeOperator ? principal.province ?? '-' : null;
    let quarter = dto.quarter ?? null;
    if (dto.runId) {
      const [run] = await this.uow.query<{ province: string; quarter: string; state: string }>(`SELECT province, quarter, state FROM settlement.runs WHERE id = $1`, [dto.runId]);
      if (!run || !canReadProvince(principal, run.province)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'runId', message: 'no such settlement run' });
      if (run.state !== 'completed') {
        throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'runId', message: `the statement is written when the run completes (it is ${run.state})` });
      }
      quarter = run.quarter;
    }
    const runs = await this.uow.query<{ id: string; programme_id: string; instruction_fen: bigint }>(
      `SELECT id, programme_id, instruction_fen FROM settlement.runs
        WHERE state = 'completed' AND ($1::uuid IS NULL OR id = $1) AND ($2::text IS NULL OR quarter = $2)
          AND ($3::text IS NULL OR programme_id = $3) AND ($4::text IS NULL OR province = $4)
        ORDER BY programme_id`,
      [dto.runId ?? null, quarter, dto.programmeId ?? null, own],
    );
    const runIds = runs.map((r) => r.id);
    const totals = await this.uow.query<{ programme_id: string; provider_province: string; n: bigint; fen: bigint }>(
      `SELECT programme_id, provider_province, sum(claim_count)::bigint AS n, sum(total_fen)::bigint AS fen
         FROM settlement.statement_lines WHERE run_id = ANY($1::uuid[]) GROUP BY 1, 2`,
      [runIds],
    );
    const details = dto.detail
      ? await this.uow.query<{ programme_id: string; provider_province: string; provider_id: string; provider_name: string; provider_credit_code: string; n: bigint; fen: bigint }>(
          `SELECT programme_id, provider_province, provider_id, max(provider_name) AS provider_name, max(provider_credit_code) AS provider_credit_code,
                  sum(claim_count)::bigint AS n, sum(total_fen)::bigint AS fen
             FROM settlement.statement_lines WHERE run_id = ANY($1::uuid[]) GROUP BY 1, 2, 3 ORDER BY 1, 2, fen DESC, provider_id`,
          [runIds],
        )
      : [];
    const programmes = [...new Set(runs.map((r) => r.programme_id))].sort();
    const cells: StatementCellView[] = [];
    for (const programmeId of programmes) {
      for (const providerProvince of PROVIDER_PROVINCES) {
        const t = totals.find((x) => x.programme_id === programmeId && x.provider_province === providerProvince);
        const cell: StatementCellView = { programmeId, providerProvince, claimCount: Number(t?.n ?? 0n), totalFen: t?.fen ?? 0n };
        if (dto.detail) {
          cell.providers = details
            .filter((d) => d.programme_id === programmeId && d.provider_province === providerProvince)
            .map((d) => ({ providerId: d.provider_id, providerName: d.provider_name, providerCreditCode: d.provider_credit_code, claimCount: Number(d.n), totalFen: d.fen }));
        }
        cells.push(cell);
      }
    }
    const totalFen = totals.reduce((s, t) => s + t.fen, 0n);
    const instructionFen = runs.reduce((s, r) => s + r.instruction_fen, 0n);
    return {
      quarter,
      runIds,
      cells,
      totalCount: Number(totals.reduce((s, t) => s + t.n, 0n)),
      totalFen,
      instructionFen,
      net: await this.net(quarter!, own),
      payments: await Promise.all(runs.map(async (r) => ({ runId: r.id, programmeId: r.programme_id, payments: await runPayments(this.uow.ds.manager, r.id) }))),
    };
  }

  /** Net flows of one quarter between provinces: paid to the other's providers minus received from it. */
  private async net(quarter: string, own: string | null): Promise<StatementView['net']> {
    const flows = await this.uow.query<{ issuing_province: string; provider_province: string; fen: bigint }>(
      `SELECT l.issuing_province, l.provider_province, sum(l.total_fen)::bigint AS fen
         FROM settlement.statement_lines l JOIN settlement.runs r ON r.id = l.run_id
        WHERE l.quarter = $1 AND r.state = 'completed' AND l.issuing_province <> l.provider_province
        GROUP BY 1, 2`,
      [quarter],
    );
    const flow = (from: string, to: string) => flows.find((f) => f.issuing_province === from && f.provider_province === to)?.fen ?? 0n;
    const out: StatementView['net'] = [];
    for (const from of PROVINCES) {
      if (own && from !== own) continue;
      for (const to of PROVIDER_PROVINCES) {
        if (to === from) continue;
        const paidFen = flow(from, to);
        const receivedFen = to === 'OTHER' ? 0n : flow(to, from);
        out.push({ from, to, paidFen, receivedFen, netFen: paidFen - receivedFen });
      }
    }
    return out;
  }
}
