import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  AmendClaimDto,
  AuditPage,
  AuditQueryDto,
  BalanceQueryDto,
  BalanceView,
  CancelOrderDto,
  ClaimPage,
  ClaimView,
  CreateOrderDto,
  LapseQuotaDto,
  ListClaimsDto,
  ListOrdersDto,
  OrderPage,
  OrderView,
  QuarantinePage,
  QuarantineQueryDto,
  QuotaLapseView,
  Subjects,
  SubmitClaimDto,
  VoucherQuoteView,
} from '@vc/contracts';
import { ErrorCode as E } from '@vc/errors';
import { ApiOp } from '../http/api-operation';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.redemption;

/** A path parameter joins the (optional) JSON body; the service validates the whole. */
const withParam = (body: unknown, extra: Record<string, string>) => ({ ...(body && typeof body === 'object' ? body : {}), ...extra });

/** Refusals of an order transition named by its path. */
const ORDER_STEP = [E.VALIDATION_FAILED, E.MALFORMED_REQUEST, E.NOT_FOUND, E.ILLEGAL_STATE];

/**
 * HTTP routes of the redemption service, forwarded over NATS: enterprises see a quote, confirm,
 * pay with the voucher, cancel, list their orders and claims, and claim when reimbursed; providers
 * may use the same routes (their systems mostly use gRPC or NATS); operators and auditors read.
 */
@ApiTags('redemption')
@Controller('v1')
export class RedemptionHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Post('orders')
  @ApiOp({
    id: 'createOrder',
    summary: 'A provider offers an enterprise an order for the actual service amount A (R-ORDER-1)',
    description: "The programme is the enterprise's home programme of the current year; the provider must be active and not excluded from it.",
    body: CreateOrderDto,
    example: { providerId: 'c9b08214-5d1e-4f4b-9a43-0b6c2f8d1e77', enterpriseId: '7d3f2a10-8c4b-4e1a-b5d6-2f9e0c1a3b4d', amountFen: 1234567, description: '扫描电镜测试', externalRef: 'PO-2026-0001' },
    reply: OrderView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ALREADY_EXISTS, E.SAME_LEGAL_ENTITY, E.ENTERPRISE_NOT_APPROVED, E.PROGRAMME_NOT_OPEN, E.PROVIDER_NOT_ACTIVE, E.PROVIDER_EXCLUDED],
  })
  createOrder(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.orderCreate, body);
  }

  @Get('orders')
  @ApiOp({ id: 'listOrders', summary: 'Own orders (enterprise, provider); a programme’s orders (its operator); all (auditor)', query: ListOrdersDto, reply: OrderPage })
  listOrders(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.orderList, Forwarder.query(query));
  }

  @Get('orders/:orderId')
  @ApiOp({ id: 'getOrder', summary: 'An order of the principal (or of a programme it oversees)', reply: OrderView, refusals: [E.VALIDATION_FAILED, E.NOT_FOUND] })
  getOrder(@Req() req: AuthedRequest, @Param('orderId') orderId: string) {
    return this.fwd.call(req, S.orderGet, { orderId });
  }

  @Get('orders/:orderId/quote')
  @ApiOp({
    id: 'quoteVoucher',
    summary: 'What the voucher would pay now: V = min(floor(A × rate), quota left, budget left) (R-OFFSET-1)',
    reply: VoucherQuoteView,
    refusals: [E.VALIDATION_FAILED, E.NOT_FOUND, E.ILLEGAL_STATE],
  })
  quoteVoucher(@Req() req: AuthedRequest, @Param('orderId') orderId: string) {
    return this.fwd.call(req, S.orderQuote, { orderId });
  }

  @Post('orders/:orderId/confirm')
  @ApiOp({
    id: 'confirmOrder',
    summary: 'Confirm the order (both parties; the second fixes the programme version, R-PROG-1)',
    reply: OrderView,
    idempotency: 'required',
    refusals: [...ORDER_STEP, E.SAME_LEGAL_ENTITY, E.PROGRAMME_NOT_OPEN],
  })
  confirmOrder(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.orderConfirm, withParam(body, { orderId }));
  }

  @Post('orders/:orderId/pay')
  @ApiOp({
    id: 'payOrder',
    summary: 'Pay with the voucher: quota and budget taken once, atomically (R-OFFSET-1..2)',
    reply: OrderView,
    idempotency: 'required',
    refusals: [...ORDER_STEP, E.QUOTA_EXHAUSTED, E.BUDGET_EXHAUSTED, E.PROGRAMME_NOT_OPEN, E.PROVIDER_NOT_ACTIVE, E.PROVIDER_EXCLUDED],
  })
  payOrder(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.orderPay, withParam(body, { orderId }));
  }

  @Post('orders/:orderId/cancel')
  @ApiOp({
    id: 'cancelOrder',
    summary: 'Cancel before completion; V goes back to the budget, and to the quota within its year (R-OFFSET-3)',
    body: { dto: CancelOrderDto, omit: ['orderId'] },
    example: { reason: '客户取消服务' },
    reply: OrderView,
    idempotency: 'required',
    refusals: ORDER_STEP,
  })
  cancelOrder(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.orderCancel, withParam(body, { orderId }));
  }

  @Post('orders/:orderId/complete')
  @ApiOp({ id: 'completeOrder', summary: 'The service of a paid order was delivered', reply: OrderView, idempotency: 'required', refusals: ORDER_STEP })
  completeOrder(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.orderComplete, withParam(body, { orderId }));
  }

  @Post('claims')
  @ApiOp({
    id: 'submitClaim',
    summary: 'Submit the redemption claim of a completed order with its evidence (R-CLAIM-1..2)',
    body: SubmitClaimDto,
    example: {
      orderId: '1b819c64-2f0e-4d6a-8b1c-5e3f7a9d0c21',
      contractRef: 'HT-2026-001',
      invoiceNumber: '24320000000012345678',
      invoiceAmountFen: 1234567,
      bankTransferRef: 'BK-2026-001',
      bankAmountFen: 925926,
    },
    reply: ClaimView,
    status: 201,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ILLEGAL_STATE, E.CLAIM_EXISTS, E.DUPLICATE_INVOICE, E.INVOICE_AMOUNT_MISMATCH, E.BANK_AMOUNT_INSUFFICIENT],
  })
  submitClaim(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.claimSubmit, body);
  }

  @Get('claims')
  @ApiOp({ id: 'listClaims', summary: 'Redemption claims of the principal (or of a programme it oversees), paged', query: ListClaimsDto, reply: ClaimPage })
  listClaims(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.claimList, Forwarder.query(query));
  }

  @Get('claims/:claimId')
  @ApiOp({ id: 'getClaim', summary: 'A redemption claim', reply: ClaimView, refusals: [E.VALIDATION_FAILED, E.NOT_FOUND] })
  getClaim(@Req() req: AuthedRequest, @Param('claimId') claimId: string) {
    return this.fwd.call(req, S.claimGet, { claimId });
  }

  @Post('claims/:claimId/amend')
  @ApiOp({
    id: 'amendClaim',
    summary: 'Amend a claim pending review or returned (R-CLAIM-3)',
    body: { dto: AmendClaimDto, omit: ['claimId'] },
    example: { invoiceNumber: '24320000000012345679', reason: '发票号码录入错误' },
    reply: ClaimView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND, E.ILLEGAL_STATE, E.DUPLICATE_INVOICE, E.INVOICE_AMOUNT_MISMATCH, E.BANK_AMOUNT_INSUFFICIENT],
  })
  amendClaim(@Req() req: AuthedRequest, @Param('claimId') claimId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.claimAmend, withParam(body, { claimId }));
  }

  @Get('programmes/:programmeId/balance')
  @ApiOp({
    id: 'getBalance',
    summary: 'Budget left of a programme, and an enterprise’s quota (its own, or for the programme’s overseers)',
    query: { dto: BalanceQueryDto, omit: ['programmeId'] },
    reply: BalanceView,
    refusals: [E.NOT_FOUND],
  })
  getBalance(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.balanceGet, Forwarder.query(query, { programmeId }));
  }

  @Post('quota-lapses')
  @ApiOp({
    id: 'lapseQuota',
    summary: 'Lapse every unused quota of a year after its end (R-QUOTA-2; programme operator, delta desk)',
    body: LapseQuotaDto,
    example: { year: 2026, programmeId: 'JS-2026' },
    reply: QuotaLapseView,
    idempotency: 'required',
    refusals: [E.ILLEGAL_STATE],
  })
  lapseQuota(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.quotaLapse, body);
  }

  @Get('audit/redemption')
  @ApiOp({ id: 'listRedemptionAudit', summary: 'Redemption audit log, paged by `after` (auditors, delta operator)', query: AuditQueryDto, reply: AuditPage })
  listRedemptionAudit(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(query));
  }

  @Get('quarantine/redemption')
  @ApiOp({ id: 'listRedemptionQuarantine', summary: 'Events redemption received and did not apply (unsigned, foreign, malformed, replayed), paged by `after` (auditors, delta operator)', query: QuarantineQueryDto, reply: QuarantinePage })
  listRedemptionQuarantine(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.quarantineList, Forwarder.query(query));
  }
}
