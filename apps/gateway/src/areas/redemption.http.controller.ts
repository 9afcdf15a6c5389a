import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AmendClaimDto, CreateOrderDto, SubmitClaimDto, Subjects } from '@vc/contracts';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.redemption;
const IDEMPOTENCY = { name: 'Idempotency-Key', required: true, description: 'same key + same body returns the first reply' };

/**
 * HTTP routes of the redemption service, forwarded over NATS: the enterprise side (see a quote,
 * confirm, pay, cancel, list own orders and claims, claim when reimbursed) and the same operations
 * for provider staff; provider systems use gRPC or NATS directly.
 */
@ApiTags('redemption')
@ApiBearerAuth()
@Controller('v1')
export class RedemptionHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Post('orders')
  @ApiOperation({ summary: 'A provider creates an order for an enterprise with the actual service amount (R-ORDER-1)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: CreateOrderDto })
  create(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.orderCreate, body);
  }

  @Get('orders')
  @ApiOperation({ summary: "The principal's own orders (an enterprise's, a provider's), filtered and paged" })
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
  @ApiOperation({ summary: 'Confirm the order (both the enterprise and the provider confirm)' })
  @ApiHeader(IDEMPOTENCY)
  confirm(@Req() req: AuthedRequest, @Param('orderId') orderId: string) {
    return this.fwd.call(req, S.orderConfirm, { orderId });
  }

  @Post('orders/:orderId/pay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pay with the voucher: quota and budget taken atomically, exactly once (R-OFFSET-2)' })
  @ApiHeader(IDEMPOTENCY)
  pay(@Req() req: AuthedRequest, @Param('orderId') orderId: string) {
    return this.fwd.call(req, S.orderPay, { orderId });
  }

  @Post('orders/:orderId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel before completion; V goes back to the budget and, within its year, the quota (R-OFFSET-3)' })
  @ApiHeader(IDEMPOTENCY)
  cancel(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.orderCancel, { ...body, orderId });
  }

  @Post('orders/:orderId/complete')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY)
  complete(@Req() req: AuthedRequest, @Param('orderId') orderId: string) {
    return this.fwd.call(req, S.orderComplete, { orderId });
  }

  @Post('orders/:orderId/claim')
  @ApiOperation({ summary: 'Submit the redemption claim with its evidence (R-CLAIM-1..3)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: SubmitClaimDto })
  submitClaim(@Req() req: AuthedRequest, @Param('orderId') orderId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.claimSubmit, { ...body, orderId });
  }

  @Get('claims')
  claims(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.claimList, Forwarder.query(query));
  }

  @Get('claims/:claimId')
  claim(@Req() req: AuthedRequest, @Param('claimId') claimId: string) {
    return this.fwd.call(req, S.claimGet, { claimId });
  }

  @Patch('claims/:claimId')
  @ApiOperation({ summary: 'Amend a claim while it is pending review (R-CLAIM-3)' })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: AmendClaimDto })
  amend(@Req() req: AuthedRequest, @Param('claimId') claimId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.claimAmend, { ...body, claimId });
  }

  @Get('programmes/:programmeId/balance')
  @ApiOperation({ summary: "Budget credited and left; an enterprise's quota granted, left and lapsed" })
  balance(@Req() req: AuthedRequest, @Param('programmeId') programmeId: string, @Query('enterpriseId') enterpriseId?: string) {
    return this.fwd.call(req, S.balanceGet, { programmeId, ...(enterpriseId ? { enterpriseId } : {}) });
  }

  @Post('quota-lapses')
  @HttpCode(200)
  @ApiOperation({ summary: 'Year-end lapse of unused quota (R-QUOTA-2); idempotent' })
  @ApiHeader(IDEMPOTENCY)
  lapse(@Req() req: AuthedRequest, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.quotaLapse, body);
  }

  @Get('audit/redemption')
  audit(@Req() req: AuthedRequest, @Query() query: Record<string, string>) {
    return this.fwd.call(req, S.auditList, Forwarder.query(query));
  }
}
