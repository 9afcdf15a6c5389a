import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { ClaimDifference, ConfirmClaimsDto, ConfirmClaimsView, CONFIRM_DIFFERENCES_SHOWN, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';

/**
 * Two services agree before money leaves: settlement sends the claims a run is about to pay
 * (claim, payee, V) and redemption confirms each against its own record — the claim exists in that
 * programme, with that payee and V, and redemption holds it approved by that run (or paid by it,
 * when a disbursement is resumed). Only settlement, with its own service credentials, may ask;
 * the answer names every difference (up to CONFIRM_DIFFERENCES_SHOWN), and reads only.
 */
@Injectable()
export class ConfirmClaimsUseCase {
  constructor(private readonly uow: UnitOfWork) {}

  async execute(principal: Principal, dto: ConfirmClaimsDto): Promise<ConfirmClaimsView> {
    requireRole(principal, Role.Service);
    if (principal.sub !== 'settlement') throw new DomainError(ErrorCode.FORBIDDEN, { message: 'only settlement confirms the claims it pays' });
    const n = dto.claimIds.length;
    for (const [field, list] of [
      ['payeeTypes', dto.payeeTypes],
      ['payeeIds', dto.payeeIds],
      ['voucherFen', dto.voucherFen],
    ] as const) {
      if (list.length !== n) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field, message: `${field} must name as many claims as claimIds (${n})` });
    }
    const rows = await this.uow.query<{
      claim_id: string;
      found: boolean;
      programme_id: string | null;
      payee_type: string | null;
      payee_id: string | null;
      voucher_fen: string | null;
      status: string | null;
      run_id: string | null;
      s_payee_type: string;
      s_payee_id: string;
      s_voucher_fen: string;
    }>(
      `SELECT s.claim_id, c.id IS NOT NULL AS found, c.programme_id, c.payee_type, c.payee_id::text, c.voucher_fen::text, c.status, c.settlement_run_id AS run_id,
              s.payee_type AS s_payee_type, s.payee_id::text AS s_payee_id, s.voucher_fen::text AS s_voucher_fen
         FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::bigint[]) AS s(claim_id, payee_type, payee_id, voucher_fen)
         LEFT JOIN redemption.claims c ON c.id = s.claim_id
        WHERE c.id IS NULL OR c.programme_id <> $5 OR c.payee_type <> s.payee_type OR c.payee_id <> s.payee_id OR c.voucher_fen <> s.voucher_fen
           OR c.status NOT IN ('approved', 'paid') OR c.settlement_run_id IS DISTINCT FROM $6
        ORDER BY s.claim_id`,
      [dto.claimIds, dto.payeeTypes, dto.payeeIds, dto.voucherFen, dto.programmeId, dto.runId],
    );
    const differences: ClaimDifference[] = [];
    for (const r of rows) {
      if (!r.found) {
        differences.push({ claimId: r.claim_id, field: 'missing', settlement: r.s_voucher_fen, redemption: null });
        continue;
      }
      if (r.programme_id !== dto.programmeId)
        differences.push({ claimId: r.claim_id, field: 'programmeId', settlement: dto.programmeId, redemption: r.programme_id });
      if (r.payee_type !== r.s_payee_type) differences.push({ claimId: r.claim_id, field: 'payeeType', settlement: r.s_payee_type, redemption: r.payee_type });
      if (r.payee_id !== r.s_payee_id) differences.push({ claimId: r.claim_id, field: 'payeeId', settlement: r.s_payee_id, redemption: r.payee_id });
      if (r.voucher_fen !== r.s_voucher_fen)
        differences.push({ claimId: r.claim_id, field: 'voucherFen', settlement: r.s_voucher_fen, redemption: r.voucher_fen });
      if (!['approved', 'paid'].includes(r.status!) || r.run_id !== dto.runId) {
        differences.push({
          claimId: r.claim_id,
          field: 'state',
          settlement: `approved by run ${dto.runId}`,
          redemption: `${r.status}${r.run_id ? ` (run ${r.run_id})` : ''}`,
        });
      }
    }
    return { checked: n, differences: differences.slice(0, CONFIRM_DIFFERENCES_SHOWN), differing: differences.length };
  }
}
