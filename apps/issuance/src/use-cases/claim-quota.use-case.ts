import { Injectable } from '@nestjs/common';
import { assertActsForEnterprise, requireRole } from '@vc/auth';
import { ClaimQuotaDto, EnterpriseView, Events, Principal, ProgrammeView, QuotaClaimView, QuotaGrantedEvent, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork, Work } from '@vc/platform';
import { claimYear, programmeIdOf, quotaValidUntil, remainingCap } from '../quota-rules';
import { findEnterprise } from '../sql/enterprises.sql';
import { recordQuotaClaimed } from '../sql/ledger.sql';
import { findProgramme } from '../sql/programmes.sql';
import { claimedSoFar, claimWithinCap, insertClaim } from '../sql/quota.sql';

/**
 * R-QUOTA-1..2: an approved enterprise claims quota from its home programme of the current year,
 * in one or several claims that add up to at most the annual cap; a claim over the remaining cap
 * is refused whole, naming what remains. Issuance owns the grant; redemption keeps the spendable
 * balance (ADR 0003) and credits it from voucher.events.quota.granted, emitted in this transaction.
 */
@Injectable()
export class ClaimQuotaUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: ClaimQuotaDto, idempotencyKey?: string): Promise<QuotaClaimView> {
    requireRole(principal, Role.Enterprise);
    return this.uow.idempotent(principal, 'quota.claim', idempotencyKey, dto, async (work) => {
      const enterprise = await this.claimant(work, principal, dto);
      const year = claimYear(this.clock.now(), dto.year);
      if (!enterprise.smeRegistrations.some((s) => s.year === year)) {
        throw new DomainError(ErrorCode.SME_REGISTRATION_MISSING, { field: 'year', message: `no SME registration number for ${year} is on file (R-ENT-2)` });
      }
      const programme = await this.openHomeProgramme(work, enterprise, year);
      const request = { enterpriseId: enterprise.id, programmeId: programme.id, year, capFen: programme.annualCapFen, amountFen: dto.amountFen };
      const after = await claimWithinCap(work, request);
      if (!after) {
        const remainingFen = remainingCap(programme.annualCapFen, await claimedSoFar(work.tx, enterprise.id, programme.id));
        throw new DomainError(ErrorCode.QUOTA_CAP_EXCEEDED, {
          field: 'amountFen',
          message: `the claim of ${dto.amountFen} fen exceeds the remaining annual cap of ${remainingFen} fen; nothing was claimed`,
          details: { remainingFen, capFen: programme.annualCapFen },
        });
      }
      const claim = await insertClaim(work, request);
      await recordQuotaClaimed(work, programme.id, enterprise.id, dto.amountFen, claim.id);
      await work.audit({ action: 'quota.claimed', entityType: 'enterprise', entityId: enterprise.id, data: { claimId: claim.id, programmeId: programme.id, amountFen: dto.amountFen } });
      const granted: QuotaGrantedEvent = { claimId: claim.id, enterpriseId: enterprise.id, programmeId: programme.id, year, amountFen: dto.amountFen.toString() };
      await work.emit({ subject: Events.quotaGranted, aggregateType: 'quota', aggregateId: enterprise.id, payload: granted });
      return {
        claimId: claim.id,
        enterpriseId: enterprise.id,
        programmeId: programme.id,
        year,
        amountFen: dto.amountFen,
        capFen: after.capFen,
        claimedFen: after.claimedFen,
        remainingCapFen: remainingCap(after.capFen, after.claimedFen),
        validUntil: quotaValidUntil(year),
      };
    });
  }

  /** Only the enterprise itself claims; another enterprise's id is answered as missing. */
  private async claimant(work: Work, principal: Principal, dto: ClaimQuotaDto): Promise<EnterpriseView> {
    const enterprise = await findEnterprise(work.tx, dto.enterpriseId);
    assertActsForEnterprise(principal, enterprise);
    if (enterprise.status !== 'approved') {
      throw new DomainError(ErrorCode.ENTERPRISE_NOT_APPROVED, { field: 'enterpriseId', message: `the enterprise is ${enterprise.status}, not approved (R-ENT-1)` });
    }
    return enterprise;
  }

  /** The home province's programme of the year, open; locked shared so a close or new version waits for the claim. */
  private async openHomeProgramme(work: Work, enterprise: EnterpriseView, year: number): Promise<ProgrammeView> {
    const id = programmeIdOf(enterprise.province, year);
    const programme = await findProgramme(work.tx, id, 'share');
    if (!programme || programme.status !== 'open') {
      throw new DomainError(ErrorCode.PROGRAMME_NOT_OPEN, { field: 'year', message: `programme ${id} is ${programme ? programme.status : 'not set up'}; quota is claimed from an open programme` });
    }
    return programme;
  }
}
