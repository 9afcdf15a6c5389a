import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AmendClaimDto, CancelOrderDto, CreateOrderDto, LapseQuotaDto, SubmitClaimDto, Subjects } from '@vc/contracts';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.redemption;
const IDEMPOTENCY = { name: 'Idempotency-Key', required: true, description: 'same key + same body returns the first reply' };

/** A path parameter joins the (optional) JSON body; the service validates the whole. */
const withParam = (body: unknown, extra: Record<string, string>) => ({ ...(body && typeof body === 'object' ? body : {}), ...extra });

/**
 * HTTP routes of the redemption service, forwarded over NATS: enterprises see a quote, confirm,
 * pay with the voucher, cancel, list their orders and claims, and claim when reimbursed; providers
 * may use the same routes (their systems mostly use gRPC or NATS); operators and auditors read.
 */
@ApiTags('redemption')
@ApiBearerAuth()
@Controller('v1')
export class RedemptionHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Post('orders')
  @ApiOperation({ summary: 'A provider offers an enterprise an order for the actual service amount A (R-ORDER-1)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: CreateOrderDto })
  create(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.orderCreate, body);
  }

  @Get('orders')
  @ApiOperation({ summary: 'Own orders (enterprise, provider); a programme’s orders (its operator); all (auditor)' })
  list(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.orderList, Forwarder.query(query));
  }

  @Get('orders/:orderId')
  get(@Req() req: AuthedRequest, @Param('orderId') orderId: string) {
    return this.fwd.call(req, S.orderGet, { orderId });
  }

  @Get('orders/:orderId/quote')
  @ApiOperation({ summary: 'What the voucher would pay now: V = min(floor(A × rate), quota left, budget left) (R-OFFSET-1)' })
  quote(@Req() req: AuthedRequest, @Param('orderId') orderId: string) {
    return this.fwd.call(req, S.orderQuote, { orderId });
  }

  @Post('orders/:orderId/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm the order (both parties; the second fixes the programme version, R-PROG-1)' })
  @ApiHeader(IDEMPOTENCY)
  confirm(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.orderConfirm, withParam(body, { orderId }));
  }

  @Post('orders/:orderId/pay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pay with the voucher: quota and budget taken once, atomically (R-OFFSET-1..2)' })
  @ApiHeader(IDEMPOTENCY)
  pay(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.orderPay, withParam(body, { orderId }));
  }

  @Post('orders/:orderId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel before completion; V goes back to the budget, and to the quota within its year (R-OFFSET-3)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: CancelOrderDto })
  cancel(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.orderCancel, withParam(body, { orderId }));
  }

  @Post('orders/:orderId/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'The service of a paid order was delivered' })
  @ApiHeader(IDEMPOTENCY)
  complete(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.orderComplete, withParam(body, { orderId }));
  }

  @Post('claims')
  @ApiOperation({ summary: 'Submit the redemption claim of a completed order with its evidence (R-CLAIM-1..2)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: SubmitClaimDto })
  submitClaim(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.claimSubmit, body);
  }

  @Get('claims')
  claims(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.claimList, Forwarder.query(query));
  }

  @Get('claims/:claimId')
  claim(@Req() req: AuthedRequest, @Param('claimId') claimId: string) {
    return this.fwd.call(req, S.claimGet, { claimId });
  }

  @Post('claims/:claimId/amend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Amend a claim pending review (R-CLAIM-3)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: AmendClaimDto })
  amendClaim(@Req() req: AuthedRequest, @Param('claimId') claimId: string, @Body() body: unknown) {
    return this.fwd.call(req, S.claimAmend, withParam(body, { claimId }));
  }

  @Get('programmes/:programmeId/balance')
  @ApiOperation({ summary: 'Budget left of a programme, and an enterprise’s quota (its own, or for the programme’s overseers)' })
  balance(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.balanceGet, Forwarder.query(query, { programmeId }));
  }

  @Post('quota-lapses')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lapse every unused quota of a year after its end (R-QUOTA-2; programme operator, delta desk)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: LapseQuotaDto })
  lapse(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.quotaLapse, body);
  }

  @Get('audit/redemption')
  @ApiOperation({ summary: 'Redemption audit log, paged (auditors, delta operator)' })
  audit(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(query));
  }
}
