import { Injectable } from '@nestjs/common';
import { ClaimQuotaDto, Events, Principal, QuotaGrantedEvent, QuotaQueryDto, QuotaView } from '@vc/contracts';
import { endOfShanghaiYear, shanghaiYear } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { actsForEnterprise, assertMayRead, findEnterprise, findProgramme } from '../issuance.sql';

/**
 * R-QUOTA-1..2: an approved enterprise claims quota from its home programme, in one or several
 * claims, together at most the annual cap; a claim over the remaining cap is refused whole. Quota is
 * valid to 31 December (Asia/Shanghai). The live balance is kept by redemption (ADR 0003), which
 * receives voucher.events.quota.granted.
 */
@Injectable()
export class ClaimQuotaUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: ClaimQuotaDto, key?: string): Promise<QuotaView & { claimId: string }> {
    return this.uow.idempotent(principal, 'quota.claim', key, dto, async (work) => {
      const enterprise = await findEnterprise(work.tx, dto.enterpriseId);
      if (!enterprise || !actsForEnterprise(principal, enterprise)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
      if (enterprise.status !== 'approved') throw new DomainError(ErrorCode.ENTERPRISE_NOT_APPROVED, { field: 'enterpriseId', message: `enterprise is ${enterprise.status}` });
      const currentYear = shanghaiYear(this.clock.now());
      const year = dto.year ?? currentYear;
      if (year !== currentYear) {
        throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'year', message: `quota is claimed for the current year (${currentYear}); unused quota lapses at year end` });
      }
      if (!enterprise.smeRegistrations.some((s) => s.year === year)) {
        throw new DomainError(ErrorCode.SME_REGISTRATION_MISSING, { field: 'enterpriseId', message: `no SME registration number for ${year} on file` });
      }
      const programmeId = `${enterprise.province}-${year}`;
      const programme = await findProgramme(work.tx, programmeId);
      if (!programme || programme.status !== 'open') {
        throw new DomainError(ErrorCode.PROGRAMME_NOT_OPEN, { field: 'enterpriseId', message: `programme ${programmeId} is not open` });
      }
      // One conditional statement: the cap holds under any concurrency, and an over-cap claim changes nothing.
      const [row] = await work.query<{ claimed: bigint }>(
        `INSERT INTO issuance.quota_years AS q (enterprise_id, programme_id, year, cap_fen, claimed_fen)
         SELECT $1, $2, $3, $4, $5 WHERE $5::bigint <= $4::bigint
         ON CONFLICT (enterprise_id, programme_id) DO UPDATE SET claimed_fen = q.claimed_fen + EXCLUDED.claimed_fen
           WHERE q.claimed_fen + EXCLUDED.claimed_fen <= q.cap_fen
         RETURNING claimed_fen AS claimed`,
        [enterprise.id, programmeId, year, programme.annualCapFen.toString(), dto.amountFen.toString()],
      );
      if (!row) {
        const [current] = await work.query<{ claimed: bigint; cap: bigint }>(
          `SELECT claimed_fen AS claimed, cap_fen AS cap FROM issuance.quota_years WHERE enterprise_id = $1 AND programme_id = $2`,
          [enterprise.id, programmeId],
        );
        const remaining = current ? current.cap - current.claimed : programme.annualCapFen;
        throw new DomainError(ErrorCode.QUOTA_CAP_EXCEEDED, {
          field: 'amountFen',
          message: `the claim exceeds the remaining annual cap of ${remaining} fen`,
          details: { remainingFen: remaining.toString(), capFen: programme.annualCapFen.toString() },
        });
      }
      const [claim] = await work.query<{ id: string }>(
        `INSERT INTO issuance.quota_claims (enterprise_id, programme_id, year, amount_fen) VALUES ($1, $2, $3, $4) RETURNING id`,
        [enterprise.id, programmeId, year, dto.amountFen.toString()],
      );
      await work.query(
        `INSERT INTO issuance.ledger_entries (entry_type, programme_id, enterprise_id, amount_fen, ref) VALUES ('quota_claimed', $1, $2, $3, $4)`,
        [programmeId, enterprise.id, dto.amountFen.toString(), claim.id],
      );
      await work.audit({ action: 'quota.claimed', entityType: 'enterprise', entityId: enterprise.id, data: { claimId: claim.id, amountFen: dto.amountFen } });
      const payload: QuotaGrantedEvent = { claimId: claim.id, enterpriseId: enterprise.id, programmeId, year, amountFen: dto.amountFen.toString() };
      await work.emit({ subject: Events.quotaGranted, aggregateType: 'enterprise', aggregateId: enterprise.id, payload });
      return { claimId: claim.id, ...(await this.view(work.tx, enterprise.id, programmeId, year, programme.annualCapFen)) };
    });
  }

  async get(principal: Principal, dto: QuotaQueryDto): Promise<QuotaView> {
    const enterprise = await findEnterprise(this.uow.ds.manager, dto.enterpriseId);
    if (!enterprise) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
    assertMayRead(principal, enterprise);
    const year = dto.year ?? shanghaiYear(this.clock.now());
    const programmeId = `${enterprise.province}-${year}`;
    const programme = await findProgramme(this.uow.ds.manager, programmeId);
    if (!programme) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'year', message: `no programme ${programmeId}` });
    return this.view(this.uow.ds.manager, enterprise.id, programmeId, year, programme.annualCapFen);
  }

  private async view(tx: import('@vc/database').Tx, enterpriseId: string, programmeId: string, year: number, cap: bigint): Promise<QuotaView> {
    const claims = await tx.query(
      `SELECT id, amount_fen AS "amountFen", created_at AS "createdAt" FROM issuance.quota_claims WHERE enterprise_id = $1 AND programme_id = $2 ORDER BY created_at`,
      [enterpriseId, programmeId],
    );
    const claimed = claims.reduce((s: bigint, c: { amountFen: bigint }) => s + c.amountFen, 0n);
    return {
      enterpriseId,
      programmeId,
      year,
      capFen: cap,
      claimedFen: claimed,
      remainingCapFen: cap - claimed,
      validUntil: endOfShanghaiYear(year).toISOString(),
      claims,
    };
  }
}
