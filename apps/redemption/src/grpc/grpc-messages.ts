import { ClaimView, OrderView, VoucherQuoteView } from '@vc/contracts';

/**
 * The replies of the gRPC service (voucher_redemption.proto) from the views the NATS and HTTP
 * replies are made of: the same fields, with each closed set also as its enum (`*_enum`). A null
 * of the view is an absent `optional` field on the wire (the null rule of the HTTP replies).
 */
const enumOf = (prefix: string, value: string | null | undefined) => `${prefix}_${value ? value.toUpperCase() : 'UNSPECIFIED'}`;

export function orderMessage(order: OrderView) {
  return { ...order, statusEnum: enumOf('ORDER_STATUS', order.status), modeEnum: enumOf('PROGRAMME_MODE', order.mode) };
}

export function quoteMessage(quote: VoucherQuoteView) {
  return { ...quote, modeEnum: enumOf('PROGRAMME_MODE', quote.mode), limitedByEnum: enumOf('LIMITED_BY', quote.limitedBy) };
}

export function claimMessage(claim: ClaimView) {
  return { ...claim, statusEnum: enumOf('CLAIM_STATUS', claim.status), modeEnum: enumOf('PROGRAMME_MODE', claim.mode), payeeTypeEnum: enumOf('PAYEE_TYPE', claim.payeeType) };
}
