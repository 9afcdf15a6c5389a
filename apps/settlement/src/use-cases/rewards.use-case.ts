import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import { GradeProviderDto, Principal, RewardQueryDto, RewardView, Role, validateDto } from '@vc/contracts';
import { advisoryKey } from '@vc/database';
import { capByLegalEntity, endOfShanghaiYear, rewardFor, UnitReward } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { assertOperatorOf, canReadProvince, provinceOfProgramme } from '../sql/access';

const REWARD_COLUMNS = `programme_id AS "programmeId", year, provider_id AS "providerId", provider_name AS "providerName", credit_code AS "creditCode",
  service_total_fen AS "serviceTotalFen", uncapped_fen AS "uncappedFen", reward_fen AS "rewardFen", reward_fen < uncapped_fen AS capped`;

/**
 * SPEC 5.8, R-REWARD-1: after the year closes, a programme rewards its own province's providers
 * that its operator graded 'excellent': floor(rewardRate × Σ A of the provider's claims paid that
 * year). The units of one legal entity (one credit code) get at most rewardCapPerLegalEntity
 * together; a binding cap is shared in proportion, floored, the leftover fen to the largest
 * remainders (ties by credit code) — capByLegalEntity in libs/domain.
 */
@Injectable()
export class RewardsUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async grade(principal: Principal, dto: GradeProviderDto, key?: string) {
    dto = validateDto(GradeProviderDto, dto);
    const province = provinceOfProgramme(dto.programmeId);
    assertOperatorOf(principal, province);
    return this.uow.idempotent(principal, 'reward.grade', key, dto, async (work) => {
      const [line] = await work.query<{ provider_province: string }>(
        `SELECT l.provider_province FROM settlement.statement_lines l WHERE l.programme_id = $1 AND l.provider_id = $2 LIMIT 1`,
        [dto.programmeId, dto.providerId],
      );
      if (!line) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'providerId', message: `the provider has no paid claims in ${dto.programmeId}` });
      if (line.provider_province !== province) {
        throw new DomainError(ErrorCode.FORBIDDEN, { field: 'providerId', message: `a programme grades its own province's providers only; this one is of ${line.provider_province}` });
      }
      await work.query(
        `INSERT INTO settlement.reward_grades (programme_id, year, provider_id, grade, graded_by, graded_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (programme_id, year, provider_id) DO UPDATE SET grade = EXCLUDED.grade, graded_by = EXCLUDED.graded_by, graded_at = EXCLUDED.graded_at`,
        [dto.programmeId, dto.year, dto.providerId, dto.grade, principal.sub, this.clock.now()],
      );
      await work.audit({ action: 'reward.graded', entityType: 'provider', entityId: dto.providerId, data: dto });
      return { programmeId: dto.programmeId, year: dto.year, providerId: dto.providerId, grade: dto.grade };
    });
  }

  async compute(principal: Principal, dto: RewardQueryDto, key?: string): Promise<{ items: RewardView[]; totalFen: bigint }> {
    dto = validateDto(RewardQueryDto, dto);
    const province = provinceOfProgramme(dto.programmeId);
    assertOperatorOf(principal, province);
    const yearEnd = endOfShanghaiYear(dto.year);
    if (this.clock.now() < yearEnd) {
      throw new DomainError(ErrorCode.YEAR_NOT_CLOSED, { field: 'year', message: `${dto.year} closes at ${yearEnd.toISOString()} (Asia/Shanghai)`, details: { closesAt: yearEnd.toISOString() } });
    }
    return this.uow.idempotent(principal, 'reward.compute', key, dto, async (work) => {
      // One computation of a programme's year at a time: each replaces the rewards the one before
      // wrote, which two at once would both try to insert.
      await work.query(`SELECT pg_advisory_xact_lock($1)`, [advisoryKey(`rewards:${dto.programmeId}:${dto.year}`)]);
      // The rate and cap of the programme as it stands when the year's rewards are computed (its current
      // version): a reward is granted once for the year, after it closes, and is no term of any order.
      const [programme] = await work.query<{ reward_rate_bp: number; reward_cap_fen: bigint }>(
        `SELECT reward_rate_bp, reward_cap_fen FROM settlement.programmes WHERE id = $1`,
        [dto.programmeId],
      );
      if (!programme) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'programmeId', message: `programme ${dto.programmeId} is not known to settlement` });
      // Σ A per provider from the statement lines of runs paid in the year (paid_on, Asia/Shanghai).
      const totals = await work.query<{ provider_id: string; provider_name: string; credit_code: string; total: bigint }>(
        `SELECT l.provider_id, max(l.provider_name) AS provider_name, max(l.provider_credit_code) AS credit_code, sum(l.amount_fen)::bigint AS total
           FROM settlement.statement_lines l
           JOIN settlement.runs r ON r.id = l.run_id
           JOIN settlement.reward_grades g ON g.programme_id = r.programme_id AND g.year = $2 AND g.provider_id = l.provider_id AND g.grade = 'excellent'
          WHERE r.programme_id = $1 AND r.paid_on >= make_date($2, 1, 1) AND r.paid_on < make_date($2 + 1, 1, 1) AND l.provider_province = $3
          GROUP BY l.provider_id`,
        [dto.programmeId, dto.year, province],
      );
      const byEntity = new Map<string, Array<UnitReward & { name: string; total: bigint }>>();
      for (const t of totals) {
        const unit = { unitId: t.provider_id, creditCode: t.credit_code, uncapped: rewardFor(t.total, programme.reward_rate_bp), name: t.provider_name, total: t.total };
        byEntity.set(t.credit_code, [...(byEntity.get(t.credit_code) ?? []), unit]);
      }
      const now = this.clock.now();
      const rows: Array<Record<string, unknown>> = [];
      for (const units of byEntity.values()) {
        for (const u of capByLegalEntity(units, programme.reward_cap_fen)) {
          const unit = units.find((x) => x.unitId === u.unitId)!;
          rows.push({ providerId: u.unitId, name: unit.name, creditCode: u.creditCode, total: unit.total, uncapped: u.uncapped, reward: u.reward });
        }
      }
      // A recomputation replaces the previous one; the audit log keeps every result.
      await work.query(`DELETE FROM settlement.rewards WHERE programme_id = $1 AND year = $2`, [dto.programmeId, dto.year]);
      await work.query(
        `INSERT INTO settlement.rewards (programme_id, year, provider_id, provider_name, credit_code, service_total_fen, uncapped_fen, reward_fen, computed_at)
         SELECT $1, $2, * , $9 FROM unnest($3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[])`,
        [
          dto.programmeId,
          dto.year,
          rows.map((r) => r.providerId),
          rows.map((r) => r.name),
          rows.map((r) => r.creditCode),
          rows.map((r) => String(r.total)),
          rows.map((r) => String(r.uncapped)),
          rows.map((r) => String(r.reward)),
          now,
        ],
      );
      const items = await work.query<RewardView>(
        `SELECT ${REWARD_COLUMNS} FROM settlement.rewards WHERE programme_id = $1 AND year = $2 ORDER BY credit_code, provider_id`,
        [dto.programmeId, dto.year],
      );
      const totalFen = items.reduce((s, r) => s + BigInt(r.rewardFen), 0n);
      await work.audit({
        action: 'reward.computed',
        entityType: 'programme',
        entityId: dto.programmeId,
        data: { year: dto.year, rewardRateBp: programme.reward_rate_bp, capFen: programme.reward_cap_fen, totalFen, items },
      });
      return { items, totalFen };
    });
  }

  async list(principal: Principal, dto: RewardQueryDto): Promise<{ items: RewardView[]; totalFen: bigint }> {
    requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator, Role.Auditor);
    if (!canReadProvince(principal, provinceOfProgramme(dto.programmeId))) {
      throw new DomainError(ErrorCode.NOT_FOUND, { field: 'programmeId', message: 'no rewards of this programme' });
    }
    const items = await this.uow.query<RewardView>(
      `SELECT ${REWARD_COLUMNS} FROM settlement.rewards WHERE programme_id = $1 AND year = $2 ORDER BY credit_code, provider_id`,
      [dto.programmeId, dto.year],
    );
    return { items, totalFen: items.reduce((s, r) => s + BigInt(r.rewardFen), 0n) };
  }
}
