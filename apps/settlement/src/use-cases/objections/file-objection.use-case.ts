import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@vc/config';
import { contactKey, FileObjectionDto, ObjectionView, Principal, Role } from '@vc/contracts';
import { advisoryKey } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { moved, tallyRun } from '../../sql/counters';
import { findRun } from '../../sql/runs';
import { objectionColumns } from './objection-outcome.sql';

/** Objections without a client address (filed over NATS by an operator's tool, not through the gateway) share one cap. */
export const UNKNOWN_ADDRESS = 'unknown';

/**
 * Who files an objection without a token: the objector, known by their contact. Each contact is an
 * idempotency scope of its own, so that one anonymous objector's key never answers (or conflicts
 * with) another's.
 */
export function publicObjector(contact: string): Principal {
  return { sub: `contact:${createHash('sha256').update(contact).digest('hex').slice(0, 32)}`, role: 'public' as Role, org: 'PUBLIC' };
}

/**
 * R-PUB-1: anyone, even without an account, may object while the window is open, as a real 公示
 * desk takes objections: named (实名) and reachable (a phone or an e-mail address, validated); one
 * open objection per claim and contact (a second is a duplicate, refused with the first's id); at
 * most OBJECTIONS_PER_ADDRESS_PER_DAY from one client address in 24 hours and
 * OBJECTIONS_OPEN_PER_CLAIM open on one claim (OBJECTION_LIMIT beyond). A contact whose objection
 * to the claim an operator already examined and dismissed is not heard again on the same claim.
 * An open objection holds the claim out of payment until the operator decides the claim's
 * objections (DecideClaimObjectionsUseCase: all of them at once).
 */
@Injectable()
export class FileObjectionUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly config: AppConfig) {}

  async execute(principal: Principal | undefined, dto: FileObjectionDto, key?: string, clientAddress?: string): Promise<ObjectionView> {
    const contact = contactKey(dto.objectorContact);
    if (!contact) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'objectorContact', message: 'objectorContact must be a phone number or an e-mail address' });
    const address = clientAddress?.trim().slice(0, 100) || UNKNOWN_ADDRESS;
    return this.uow.idempotent(principal ?? publicObjector(contact), 'objection.file', key, dto, async (work) => {
      const run = await findRun(work.tx, dto.runId, true);
      if (!run || !run.published_on) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'runId', message: 'no published run with this id' });
      const now = this.clock.now();
      if (run.state !== 'publicity' || now >= run.publicity_closes_at!) {
        throw new DomainError(ErrorCode.PUBLICITY_CLOSED, {
          field: 'runId',
          message: `the publicity window closed at ${run.publicity_closes_at!.toISOString()} (24:00 of ${run.publicity_last_day}, Asia/Shanghai)`,
          details: { closesAt: run.publicity_closes_at!.toISOString() },
        });
      }
      // its state as it now stands: the run's approve-all approved most claims without writing them (ADR 0008)
      const [listed] = await work.query<{ state: string; voucher_fen: bigint }>(
        `SELECT v.state, c.voucher_fen
           FROM settlement.claims c JOIN settlement.claims_current v USING (claim_id)
          WHERE c.claim_id = $1 AND c.run_id = $2 AND v.state IN ('approved', 'held') FOR UPDATE OF c`,
        [dto.claimId, run.id],
      );
      if (!listed) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'claimId', message: 'this claim is not on the publicity list of the run' });

      // one open objection per claim and contact; an examined one is not heard again
      const [earlier] = await work.query<{ id: string; status: string; decided_at: Date | null }>(
        `SELECT id, status, decided_at FROM settlement.objections
          WHERE claim_id = $1 AND contact_key = $2 AND (status = 'open' OR status = 'dismissed')
          ORDER BY status = 'open' DESC, filed_at DESC LIMIT 1`,
        [dto.claimId, contact],
      );
      if (earlier?.status === 'open') {
        throw new DomainError(ErrorCode.ALREADY_EXISTS, {
          field: 'objectorContact',
          message: 'an objection of this contact to this claim is open already; the desk will answer it',
          details: { objectionId: earlier.id },
        });
      }
      if (earlier) {
        throw new DomainError(ErrorCode.ALREADY_EXISTS, {
          field: 'objectorContact',
          message: `an objection of this contact to this claim was examined and dismissed on ${earlier.decided_at!.toISOString()}`,
          details: { objectionId: earlier.id },
        });
      }

      // The caps. One address's objections are counted under a lock of that address, so that its
      // concurrent requests (to any run) are counted one after another; a claim's under the run's.
      await work.query(`SELECT pg_advisory_xact_lock($1::int, $2::int)`, [advisoryKey('objection-address'), advisoryKey(address)]);
      const [counts] = await work.query<{ from_address: number; open_on_claim: number }>(
        `SELECT (SELECT count(*)::int FROM settlement.objections WHERE client_address = $1 AND filed_at > $2::timestamptz - interval '24 hours') AS from_address,
                (SELECT count(*)::int FROM settlement.objections WHERE claim_id = $3 AND run_id = $4 AND status = 'open') AS open_on_claim`,
        [address, now, dto.claimId, run.id],
      );
      if (counts.from_address >= this.config.OBJECTIONS_PER_ADDRESS_PER_DAY) {
        throw new DomainError(ErrorCode.OBJECTION_LIMIT, {
          message: `the desk takes at most ${this.config.OBJECTIONS_PER_ADDRESS_PER_DAY} objections from one address in 24 hours`,
          details: { scope: 'address', limit: this.config.OBJECTIONS_PER_ADDRESS_PER_DAY },
        });
      }
      if (counts.open_on_claim >= this.config.OBJECTIONS_OPEN_PER_CLAIM) {
        throw new DomainError(ErrorCode.OBJECTION_LIMIT, {
          field: 'claimId',
          message: `${counts.open_on_claim} objections to this claim wait for the desk's decision already; it examines the claim and answers each of them`,
          details: { scope: 'claim', limit: this.config.OBJECTIONS_OPEN_PER_CLAIM },
        });
      }

      if (listed.state === 'approved') {
        // held from here on, decided when its approval was (the run's approve-all, if that approved it)
        await work.query(`UPDATE settlement.claims SET state = 'held', decided_at = CASE WHEN state = 'in_review' THEN $2::timestamptz ELSE decided_at END WHERE claim_id = $1`, [
          dto.claimId,
          run.approved_at,
        ]);
        await tallyRun(work.tx, run.id, moved('approved', 'held', 1, listed.voucher_fen), now);
      }
      const [objection] = await work.query<ObjectionView>(
        `INSERT INTO settlement.objections (run_id, claim_id, objector_name, objector_contact, objector_principal, reason, filed_at, contact_key, client_address)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${objectionColumns()}`,
        [run.id, dto.claimId, dto.objectorName, dto.objectorContact, principal ? `${principal.role}:${principal.org}:${principal.sub}` : null, dto.reason, now, contact, address],
      );
      await work.audit({
        action: 'objection.filed',
        entityType: 'claim',
        entityId: dto.claimId,
        reason: dto.reason,
        data: { objectionId: objection.id, runId: run.id, objectorName: dto.objectorName, objectorContact: dto.objectorContact, clientAddress: address },
      });
      return objection;
    });
  }
}
