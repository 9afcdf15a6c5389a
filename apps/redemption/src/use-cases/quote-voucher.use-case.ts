import { Injectable } from '@nestjs/common';
import { OrderIdDto, Principal, VoucherQuoteView } from '@vc/contracts';
import { endOfShanghaiYear, voucherAmount } from '@vc/domain';
import { DomainError, ErrorCode } from '@vc/errors';
import { Clock, CopyFreshness, UnitOfWork } from '@vc/platform';
import { assertMayRead } from '../access';
import { effectiveVersion, findOrder } from '../sql/redemption.sql';

/**
 * R-OFFSET-1: what the voucher would pay if the order were paid now, and why it would be refused:
 * the refusal the payment would meet, decided by the SQL functions the payment asks. A quote
 * reserves nothing: the payment takes quota and budget first come, first served.
 */
@Injectable()
export class QuoteVoucherUseCase {
  constructor(private readonly uow: UnitOfWork, private readonly clock: Clock, private readonly copies: CopyFreshness) {}

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
    // A copy of the registry's providers too old to decide with: what a payment now would meet first.
    let stale: string | null = null;
    try {
      this.copies.assertFresh('providers', 'orderId');
    } catch (err) {
      if (err instanceof DomainError) stale = err.code;
      else throw err;
    }
    const rate = version?.offsetRateBp ?? 0;
    // The refusal a payment now would meet, asked of the functions pay_order and pay_orders ask
    // (redemption.payment_refusal, then voucher_refusal): one rule, one refusal order.
    const [balances] = await db.query(
      `SELECT c.refusal AS standing, q.left_fen AS quota, b.left_fen AS budget,
              redemption.voucher_refusal($2, ($5::bigint * $6::int) / 10000, q.left_fen, b.left_fen) AS voucher
         FROM redemption.payment_refusal($3, $2, $4) c
         LEFT JOIN redemption.quota_balance q ON q.enterprise_id = $1 AND q.programme_id = $2
         CROSS JOIN redemption.budget_left($2) AS b (left_fen)`,
      [o.enterprise_id, o.programme_id, o.provider_id, now, o.amount_fen.toString(), rate],
    );
    const refusal: string | null = stale ?? (balances.standing ?? balances.voucher)?.error.code ?? null;
    // Past the year's end the quota is gone, though the year-end lapse may not have run yet.
    const yearEnded = now.getTime() >= endOfShanghaiYear(o.programme_year).getTime();
    const quotaLeft: bigint = yearEnded ? 0n : (balances.quota ?? 0n);
    const budgetLeft: bigint = balances.budget ?? 0n;
    const q = voucherAmount({ amount: o.amount_fen, offsetRateBp: rate, quotaLeft, budgetLeft });
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
