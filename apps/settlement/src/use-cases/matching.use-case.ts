import { Injectable } from '@nestjs/common';
import { requireRole } from '@vc/auth';
import {
  Events,
  isUuid,
  MatchingCheckDto,
  MatchingCheckResult,
  MatchingObligationView,
  MatchingRecordedEvent,
  MatchingReportDto,
  MatchingReportView,
  Principal,
  RecordMatchingDto,
  RegionDefaultEvent,
  RegionDefaultState,
  RegionMatchingSummary,
  Role,
} from '@vc/contracts';
import { parseDate, shanghaiDate } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork, Work } from '@vc/platform';
import { xactLock } from '../sql/locks';

/** The advisory lock of the region flags' refresh, in the two-key form: a space of its own. */
export const MATCHING_LOCK_SPACE = 0x5e7e;

/** [sql, params] of the lock every refresh of the region flags takes first, to the end of its transaction. */
export function matchingLock(): [string, unknown[]] {
  return xactLock(MATCHING_LOCK_SPACE, 0);
}

const OBLIGATION_COLUMNS = `o.id, o.run_id AS "runId", o.programme_id AS "programmeId", o.region_id AS "regionId", o.enterprise_id AS "enterpriseId",
  o.enterprise_name AS "enterpriseName", o.claim_count AS "claimCount", o.voucher_fen AS "voucherFen",
  CASE WHEN scale(trim_scale(o.matching_ratio)) <= 2 THEN to_char(o.matching_ratio, 'FM999990.00') ELSE trim_scale(o.matching_ratio)::text END AS "matchingRatio", o.amount_fen AS "amountFen", o.paid_fen AS "paidFen",
  o.amount_fen - o.paid_fen AS "outstandingFen", to_char(o.provincial_paid_on, 'YYYY-MM-DD') AS "provincialPaidOn",
  to_char(o.due_on, 'YYYY-MM-DD') AS "dueOn", (o.paid_fen < o.amount_fen AND o.due_on < $1::date) AS overdue`;

/**
 * SPEC 5.6 step 4, R-MATCH-1: for every paid claim the enterprise's linked region owes it
 * V × matching ratio (floored to the fen) within matchingDeadlineMonths of the provincial payment
 * date. Region admins record what they paid (their own region only); what is past its due date is
 * overdue; a region with anything overdue is flagged defaulting (issuance then blocks its new
 * enterprise approvals) until it catches up.
 */
@Injectable()
export class MatchingUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  private today(): string {
    return shanghaiDate(this.clock.now());
  }

  async record(principal: Principal, dto: RecordMatchingDto, key?: string) {
    requireRole(principal, Role.RegionAdmin);
    if (!isUuid(principal.org)) throw new DomainError(ErrorCode.FORBIDDEN, { message: 'a region admin acts for a region' });
    try {
      parseDate(dto.paidOn);
    } catch {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'paidOn', message: 'paidOn is not a calendar date' });
    }
    if (dto.paidOn > this.today()) throw new DomainError(ErrorCode.VALIDATION_FAILED, { field: 'paidOn', message: 'paidOn may not be in the future' });
    const totals = new Map<string, bigint>();
    for (const item of dto.items) totals.set(item.obligationId, (totals.get(item.obligationId) ?? 0n) + item.amountFen);
    const ids = [...totals.keys()];
    const amounts = ids.map((id) => totals.get(id)!.toString());
    return this.uow.idempotent(principal, 'matching.record', key, dto, async (work) => {
      // The region admin's organisation is its region: another region's obligation does not exist for it.
      const owned = await work.query<{ id: string; outstanding: bigint }>(
        `SELECT id, amount_fen - paid_fen AS outstanding FROM settlement.matching_obligations WHERE id = ANY($1::uuid[]) AND region_id::text = $2 FOR UPDATE`,
        [ids, principal.org],
      );
      const byId = new Map(owned.map((o) => [o.id, o]));
      ids.forEach((id) => {
        const o = byId.get(id);
        const index = dto.items.findIndex((it) => it.obligationId === id);
        if (!o) throw new DomainError(ErrorCode.NOT_FOUND, { field: `items.${index}.obligationId`, message: 'no such matching obligation of your region' });
        if (totals.get(id)! > o.outstanding) {
          throw new DomainError(ErrorCode.MATCHING_OVERPAID, {
            field: `items.${index}.amountFen`,
            message: `only ${o.outstanding} fen are outstanding on this obligation`,
            details: { obligationId: id, outstandingFen: o.outstanding.toString() },
          });
        }
      });
      const now = this.clock.now();
      const updated = await work.query<{ id: string; region_id: string; enterprise_id: string; programme_id: string; run_id: string; outstanding: bigint }>(
        `UPDATE settlement.matching_obligations o
            SET paid_fen = o.paid_fen + p.amount, settled_at = CASE WHEN o.paid_fen + p.amount = o.amount_fen THEN $3::timestamptz ELSE NULL END
           FROM unnest($1::uuid[], $2::bigint[]) AS p(id, amount)
          WHERE o.id = p.id AND o.paid_fen + p.amount <= o.amount_fen
          RETURNING o.id, o.region_id, o.enterprise_id, o.programme_id, o.run_id, o.amount_fen - o.paid_fen AS outstanding`,
        [ids, amounts, now],
      );
      if (updated.length !== ids.length) throw new DomainError(ErrorCode.MATCHING_OVERPAID, { field: 'items', message: 'a payment exceeds what is outstanding' });
      const payments = [];
      for (const o of updated) {
        const [payment] = await work.query<{ id: string }>(
          `INSERT INTO settlement.matching_payments (obligation_id, region_id, amount_fen, paid_on, reference, recorded_by, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [o.id, o.region_id, totals.get(o.id), dto.paidOn, dto.reference, principal.sub, now],
        );
        const payload: MatchingRecordedEvent = {
          paymentId: payment.id,
          obligationId: o.id,
          regionId: o.region_id,
          enterpriseId: o.enterprise_id,
          programmeId: o.programme_id,
          runId: o.run_id,
          amountFen: totals.get(o.id)!.toString(),
          paidOn: dto.paidOn,
          outstandingFen: o.outstanding.toString(),
        };
        await work.emit({ subject: Events.matchingRecorded, aggregateType: 'matching', aggregateId: o.id, payload });
        await work.audit({ action: 'matching.recorded', entityType: 'matching_obligation', entityId: o.id, data: { ...payload, reference: dto.reference } });
        payments.push({ paymentId: payment.id, obligationId: o.id, amountFen: totals.get(o.id)!, outstandingFen: o.outstanding });
      }
      // A region that has paid everything overdue is caught up at once.
      const check = await this.refresh(work, this.today(), { regionId: principal.org });
      return { payments, region: check.regions[0] ?? null, caughtUp: check.caughtUp.length > 0 };
    });
  }

  async report(principal: Principal, dto: MatchingReportDto): Promise<MatchingReportView> {
    requireRole(principal, Role.RegionAdmin, Role.ProgrammeOperator, Role.DeltaOperator, Role.Auditor);
    let regionId = dto.regionId ?? null;
    let province: string | null = null;
    if (principal.role === Role.RegionAdmin) {
      if (!isUuid(principal.org) || (regionId && regionId !== principal.org)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'regionId', message: 'no such region' });
      regionId = principal.org;
    }
    if (principal.role === Role.ProgrammeOperator) province = principal.province ?? '-';
    const asOf = this.today();
    const params = [asOf, regionId, province, dto.programmeId ?? null];
    const where = `($2::uuid IS NULL OR o.region_id = $2) AND ($3::text IS NULL OR left(o.programme_id, 2) = $3) AND ($4::text IS NULL OR o.programme_id = $4)`;
    const regions = await this.uow.query<RegionMatchingSummary>(
      `SELECT o.region_id AS "regionId", COALESCE(bool_or(s.defaulting), false) AS defaulting, count(*)::int AS obligations,
              sum(o.amount_fen)::bigint AS "owedFen", sum(o.paid_fen)::bigint AS "paidFen", sum(o.amount_fen - o.paid_fen)::bigint AS "outstandingFen",
              count(*) FILTER (WHERE o.paid_fen < o.amount_fen AND o.due_on < $1::date)::int AS "overdueCount",
              COALESCE(sum(o.amount_fen - o.paid_fen) FILTER (WHERE o.due_on < $1::date), 0)::bigint AS "overdueFen"
         FROM settlement.matching_obligations o LEFT JOIN settlement.region_status s ON s.region_id = o.region_id
        WHERE ${where}
        GROUP BY o.region_id ORDER BY "overdueFen" DESC, o.region_id`,
      params,
    );
    const obligations = await this.uow.query<MatchingObligationView>(
      `SELECT ${OBLIGATION_COLUMNS} FROM settlement.matching_obligations o
        WHERE ${where} AND ($5::boolean IS NOT TRUE OR (o.paid_fen < o.amount_fen AND o.due_on < $1::date))
        ORDER BY o.due_on, o.id LIMIT $6 OFFSET $7`,
      [...params, dto.overdueOnly ?? null, dto.limit ?? 200, dto.offset ?? 0],
    );
    return { asOf, regions, obligations };
  }

  /**
   * R-MATCH-1: flags every region with overdue matching, clears those that caught up, with events.
   * A programme operator checks its own province's regions only (SPEC 2); the delta desk and the
   * scheduled job check them all.
   */
  async check(principal: Principal, dto: MatchingCheckDto, idempotencyKey?: string): Promise<MatchingCheckResult> {
    requireRole(principal, Role.ProgrammeOperator, Role.DeltaOperator, Role.Service);
    const province = principal.role === Role.ProgrammeOperator ? (principal.province ?? '-') : null;
    // idempotent by state (a repeat flips nothing); with a key, a repeat of it returns the first reply
    const once = (fn: (work: Work) => Promise<MatchingCheckResult>) =>
      idempotencyKey === undefined ? this.uow.run(principal, fn) : this.uow.idempotent(principal, 'matching.check', idempotencyKey, dto, fn);
    return once(async (work) => {
      const result = await this.refresh(work, this.today(), { province });
      if (result.defaulting.length || result.caughtUp.length) {
        await work.audit({ action: 'matching.checked', entityType: 'matching', entityId: result.asOf, reason: dto.note ?? null, data: result });
      }
      return result;
    });
  }

  /**
   * Set-wise: overdue per region as of `asOf`, then flags flipped by conditional UPDATEs (events
   * only on a change). `scope` narrows the regions checked to one region, or to a province's; each
   * region's verdict counts all of its obligations.
   */
  private async refresh(work: Work, asOf: string, scope: { regionId?: string; province?: string | null }): Promise<MatchingCheckResult> {
    // One refresh at a time (matchingLock), and its statement starts after the one before committed:
    // the previous verdict it compares with is then the last one issuance was told, so no change of
    // a region's flag goes without its event.
    await work.query(...matchingLock());
    const now = this.clock.now();
    const regions = await work.query<RegionDefaultState & { changed: string | null }>(
      `WITH overdue AS (
         SELECT region_id, count(*) FILTER (WHERE paid_fen < amount_fen AND due_on < $1::date)::int AS n,
                COALESCE(sum(amount_fen - paid_fen) FILTER (WHERE due_on < $1::date), 0)::bigint AS fen
           FROM settlement.matching_obligations
          WHERE ($2::uuid IS NULL OR region_id = $2) AND ($4::text IS NULL OR region_id IN (SELECT id FROM settlement.regions WHERE province = $4))
          GROUP BY region_id),
       upsert AS (
         INSERT INTO settlement.region_status AS s (region_id, defaulting, overdue_count, overdue_fen, defaulting_since, checked_at)
         SELECT region_id, n > 0, n, fen, CASE WHEN n > 0 THEN $3::timestamptz END, $3 FROM overdue
         ON CONFLICT (region_id) DO UPDATE
            SET defaulting = EXCLUDED.defaulting, overdue_count = EXCLUDED.overdue_count, overdue_fen = EXCLUDED.overdue_fen, checked_at = EXCLUDED.checked_at,
                defaulting_since = CASE WHEN EXCLUDED.defaulting THEN COALESCE(s.defaulting_since, EXCLUDED.checked_at) END)
       -- region_status here is the snapshot before the upsert: the previous verdict
       SELECT o.region_id AS "regionId", o.n > 0 AS defaulting, o.n AS "overdueCount", o.fen AS "overdueFen",
              CASE WHEN o.n > 0 AND NOT COALESCE(prev.defaulting, false) THEN 'defaulting'
                   WHEN o.n = 0 AND COALESCE(prev.defaulting, false) THEN 'caught-up' END AS changed
         FROM overdue o LEFT JOIN settlement.region_status prev ON prev.region_id = o.region_id
        ORDER BY o.region_id`,
      [asOf, scope.regionId ?? null, now, scope.province ?? null],
    );
    const defaulting: string[] = [];
    const caughtUp: string[] = [];
    for (const r of regions) {
      if (!r.changed) continue;
      const payload: RegionDefaultEvent = { regionId: r.regionId, overdueCount: r.overdueCount, overdueFen: r.overdueFen.toString() };
      const subject = r.changed === 'defaulting' ? Events.regionDefaulting : Events.regionCaughtUp;
      await work.emit({ subject, aggregateType: 'region', aggregateId: r.regionId, payload });
      await work.audit({ action: `region.${r.changed}`, entityType: 'region', entityId: r.regionId, data: { ...payload, asOf } });
      (r.changed === 'defaulting' ? defaulting : caughtUp).push(r.regionId);
    }
    return {
      asOf,
      defaulting,
      caughtUp,
      regions: regions.map(({ changed: _c, ...r }) => r),
    };
  }
}
