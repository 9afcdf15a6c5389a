import { Injectable } from '@nestjs/common';
import { OrderIdDto, Principal, VoucherQuoteView } from '@vc/contracts';
import { endOfShanghaiYear, voucherAmount } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, UnitOfWork } from '@vc/platform';
import { assertMayRead } from '../access';
import { assertProgrammeOpen, assertProviderEligible, effectiveVersion, findOrder, findProvider } from '../redemption.sql';

/**
 * R-OFFSET-1: what the voucher would pay if the order were paid now, and why it would be refused.
 * A quote reserves nothing: the payment takes quota and budget first come, first served.
 */
@Injectable()
export class QuoteVoucherUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock) {}

  async execute(principal: Principal, dto: OrderIdDto): Promise<VoucherQuoteView> {
    const db = this.uow.ds.manager;
    const order = await findOrder(db, dto.orderId);
    assertMayRead(principal, order);
    const o = order!;
    if (o.status !== 'created' && o.status !== 'confirmed') {
      throw new DomainError(ErrorCode.ILLEGAL_STATE, { field: 'orderId', message: `order is ${o.status}; a quote is for an order not yet paid` });
    }
    const now = this.clock.now();
    // Before both confirmations, the version that would apply if the order were confirmed now.
    const version =
      o.programme_version !== null
        ? { version: o.programme_version, offsetRateBp: o.offset_rate_bp!, mode: o.mode! }
        : await effectiveVersion(db, o.programme_id, now).catch(() => null);
    let refusal: string | null = null;
    try {
      await assertProviderEligible(db, await findProvider(db, o.provider_id), o.programme_id);
      await assertProgrammeOpen(db, o.programme_id);
    } catch (err) {
      if (err instanceof DomainError) refusal = err.code;
      else throw err;
    }
    const [balances] = await db.query(
      `SELECT (SELECT left_fen FROM redemption.quota_balance WHERE enterprise_id = $1 AND programme_id = $2) AS quota,
              redemption.budget_left($2) AS budget`,
      [o.enterprise_id, o.programme_id],
    );
    const yearEnded = now.getTime() >= endOfShanghaiYear(o.programme_year).getTime();
    const quotaLeft: bigint = yearEnded ? 0n : (balances.quota ?? 0n);
    const budgetLeft: bigint = balances.budget ?? 0n;
    const rate = version?.offsetRateBp ?? 0;
    const q = voucherAmount({ amount: o.amount_fen, offsetRateBp: rate, quotaLeft, budgetLeft });
    if (!refusal && q.voucher === 0n) {
      refusal = q.limitedBy === 'quota' ? ErrorCode.QUOTA_EXHAUSTED : q.limitedBy === 'budget' ? ErrorCode.BUDGET_EXHAUSTED : ErrorCode.INVALID_AMOUNT;
    }
    const mode = version?.mode ?? 'provider_redeems';
    return {
      orderId: o.id,
      programmeId: o.programme_id,
      programmeVersion: version?.version ?? 0,
      mode,
      offsetRateBp: rate,
      amountFen: o.amount_fen,
      byRateFen: (o.amount_fen * BigInt(rate)) / 10000n,
      quotaLeftFen: quotaLeft,
      budgetLeftFen: budgetLeft,
      voucherFen: refusal ? 0n : q.voucher,
      enterprisePaysFen: mode === 'enterprise_reimbursed' || refusal ? o.amount_fen : q.enterprisePays,
      limitedBy: q.limitedBy,
      refusal,
    };
  }
}
