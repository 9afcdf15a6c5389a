import { Injectable, Logger } from '@nestjs/common';
import { ServiceTokenSigner } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { ClaimDifference, CONFIRM_CLAIMS_MAX, CONFIRM_DIFFERENCES_SHOWN, ConfirmClaimsDto, ConfirmClaimsView, Subjects } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { RpcClient } from '@vc/messaging';
import { Work } from '@vc/platform';
import { approvedBy, inRun } from '../sql/claim-state';
import { RunRow } from '../sql/runs';

/** Confirmation requests in flight at once. */
const IN_FLIGHT = 4;
/** How long a run waits for redemption to hear of its decisions before a difference counts. */
const CATCH_UP_MS = 15_000;

/** A difference that only says redemption has not heard of the run's approval yet. */
const notHeardYet = (d: ClaimDifference) => d.field === 'state' && d.redemption === 'pending_review';

/**
 * Two services agree before money leaves: before a run writes its payment instructions, every
 * claim it is about to pay (claim, payee, V) is confirmed against redemption's own record of it —
 * in chunks, with settlement's service credentials (redemption.claim.confirm). Redemption must hold
 * each claim in the run's programme with the same payee and V, approved by this run. Any
 * difference — a copy changed by a forged or mistaken event, a claim redemption never had, an
 * approval redemption has not seen (after waiting CATCH_UP_MS for its events) — stops the run
 * with CLAIMS_DISAGREE, naming the claims.
 *
 * Runs inside the instruction step's transaction, which holds the run's row: the set confirmed is
 * the set the instructions are written from (no review or objection can change it meanwhile).
 */
@Injectable()
export class ConfirmPayments {
  private readonly logger = new Logger('ConfirmPayments');

  constructor(
    private readonly rpc: RpcClient,
    private readonly serviceToken: ServiceTokenSigner,
    private readonly config: AppConfig,
  ) {}

  async confirm(work: Work, run: RunRow): Promise<{ confirmed: number }> {
    if (this.config.CONFIRM_PAYMENTS_WITH === 'none') {
      this.logger.warn(`run ${run.id}: payments not confirmed with redemption (CONFIRM_PAYMENTS_WITH=none, tests only)`);
      return { confirmed: 0 };
    }
    // Redemption learns of the run's decisions from settlement's events, moments after they were
    // made: a difference that is only that (redemption still has the claim pending review) is asked
    // again for a while before it counts. Any other difference counts at once.
    const deadline = Date.now() + CATCH_UP_MS;
    for (;;) {
      try {
        return await this.confirmOnce(work, run);
      } catch (err) {
        const lagging = err instanceof DomainError && err.code === ErrorCode.CLAIMS_DISAGREE && (err.details?.differences as ClaimDifference[]).every(notHeardYet);
        if (!lagging || Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private async confirmOnce(work: Work, run: RunRow): Promise<{ confirmed: number }> {
    const differences: ClaimDifference[] = [];
    let differing = 0;
    let confirmed = 0;
    let after = '00000000-0000-0000-0000-000000000000';
    const inFlight = new Set<Promise<void>>();
    const token = await this.serviceToken.token();
    try {
      for (;;) {
        // Keyset over the claim id: each chunk one index range scan of the run's claims.
        const rows = await work.query<{ claim_id: string; payee_type: 'provider' | 'enterprise'; payee_id: string; voucher_fen: string }>(
          `SELECT claim_id::text, payee_type, payee_id::text, voucher_fen::text FROM settlement.claims
          WHERE ${inRun('$1::uuid')} AND ${approvedBy(run)} AND claim_id > $2::uuid ORDER BY claim_id LIMIT $3`,
          [run.id, after, CONFIRM_CLAIMS_MAX],
        );
        if (rows.length === 0) break;
        after = rows[rows.length - 1].claim_id;
        const request: ConfirmClaimsDto = {
          programmeId: run.programme_id,
          runId: run.id,
          claimIds: rows.map((r) => r.claim_id),
          payeeTypes: rows.map((r) => r.payee_type),
          payeeIds: rows.map((r) => r.payee_id),
          voucherFen: rows.map((r) => r.voucher_fen),
        };
        const sent = this.rpc.request<ConfirmClaimsView>(Subjects.redemption.claimConfirm, request, { token }).then((view) => {
          confirmed += view.checked - view.differing;
          differing += view.differing;
          differences.push(...view.differences.slice(0, Math.max(0, CONFIRM_DIFFERENCES_SHOWN - differences.length)));
        });
        const tracked = sent.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
        if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
        if (rows.length < CONFIRM_CLAIMS_MAX) break;
      }
      await Promise.all(inFlight);
    } catch (err) {
      await Promise.allSettled(inFlight); // no request outlives the step that sent it
      throw err;
    }
    if (differing > 0) {
      throw new DomainError(ErrorCode.CLAIMS_DISAGREE, {
        field: 'runId',
        message: `${differing} claim difference(s) between settlement and redemption; no instruction is written (first: claim ${differences[0].claimId}, ${differences[0].field}: settlement ${differences[0].settlement}, redemption ${differences[0].redemption})`,
        details: { differing, differences },
      });
    }
    return { confirmed };
  }
}
