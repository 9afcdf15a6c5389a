import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import {
  AmendClaimDto,
  AuditQueryDto,
  BalanceQueryDto,
  CancelOrderDto,
  ClaimIdDto,
  ConfirmClaimsDto,
  QuarantineQueryDto,
  Role,
  CreateOrderDto,
  LapseQuotaDto,
  ListClaimsDto,
  ListOrdersDto,
  OrderIdDto,
  Principal,
  ReadinessQueryDto,
  SubmitClaimDto,
  Subjects,
} from '@vc/contracts';
import { Roles } from '@vc/auth';
import { RpcBody, RpcIdempotencyKey, RpcPrincipal } from '@vc/messaging';
import { ReadAuditUseCase, ReadQuarantineUseCase } from '@vc/platform';
import { ConfirmClaimsUseCase } from './use-cases/confirm-claims.use-case';
import { AmendClaimUseCase } from './use-cases/amend-claim.use-case';
import { BalanceQueries } from './use-cases/balance-queries';
import { CancelOrderUseCase } from './use-cases/cancel-order.use-case';
import { ClaimQueries } from './use-cases/claim-queries';
import { CompleteOrderUseCase } from './use-cases/complete-order.use-case';
import { ConfirmOrderUseCase } from './use-cases/confirm-order.use-case';
import { CreateOrderUseCase } from './use-cases/create-order.use-case';
import { LapseQuotaUseCase } from './use-cases/lapse-quota.use-case';
import { OrderQueries } from './use-cases/order-queries';
import { PayOrderUseCase } from './use-cases/pay-order.use-case';
import { QuoteVoucherUseCase } from './use-cases/quote-voucher.use-case';
import { ReadinessQueries } from './use-cases/readiness-queries';
import { SubmitClaimUseCase } from './use-cases/submit-claim.use-case';

const S = Subjects.redemption;

/** NATS request-reply interface of redemption (provider systems, the gateway); thin: one use case per handler. */
@Controller()
export class RedemptionRpcController {
  constructor(
    private readonly createOrder: CreateOrderUseCase,
    private readonly confirmOrder: ConfirmOrderUseCase,
    private readonly quoteVoucher: QuoteVoucherUseCase,
    private readonly payOrder: PayOrderUseCase,
    private readonly cancelOrder: CancelOrderUseCase,
    private readonly completeOrder: CompleteOrderUseCase,
    private readonly orders: OrderQueries,
    private readonly submitClaim: SubmitClaimUseCase,
    private readonly amendClaim: AmendClaimUseCase,
    private readonly claims: ClaimQueries,
    private readonly balances: BalanceQueries,
    private readonly lapseQuota: LapseQuotaUseCase,
    private readonly auditLog: ReadAuditUseCase,
    private readonly readiness: ReadinessQueries,
    private readonly quarantine: ReadQuarantineUseCase,
    private readonly confirmClaims: ConfirmClaimsUseCase,
  ) {}

  @MessagePattern(S.quarantineList)
  quarantined(@RpcPrincipal() p: Principal, @RpcBody(QuarantineQueryDto) dto: QuarantineQueryDto) {
    return this.quarantine.execute(p, dto);
  }

  /** Settlement only, with its service credentials (a service token signed by its own key). */
  @Roles(Role.Service)
  @MessagePattern(S.claimConfirm)
  confirmClaimsToPay(@RpcPrincipal() p: Principal, @RpcBody(ConfirmClaimsDto) dto: ConfirmClaimsDto) {
    return this.confirmClaims.execute(p, dto);
  }

  @MessagePattern(S.health)
  health() {
    return { status: 'ok', service: 'redemption' };
  }

  @MessagePattern(S.orderCreate)
  create(@RpcPrincipal() p: Principal, @RpcBody(CreateOrderDto) dto: CreateOrderDto, @RpcIdempotencyKey() key?: string) {
    return this.createOrder.execute(p, dto, key);
  }

  @MessagePattern(S.orderConfirm)
  confirm(@RpcPrincipal() p: Principal, @RpcBody(OrderIdDto) dto: OrderIdDto, @RpcIdempotencyKey() key?: string) {
    return this.confirmOrder.execute(p, dto, key);
  }

  @MessagePattern(S.orderQuote)
  quote(@RpcPrincipal() p: Principal, @RpcBody(OrderIdDto) dto: OrderIdDto) {
    return this.quoteVoucher.execute(p, dto);
  }

  @MessagePattern(S.orderPay)
  pay(@RpcPrincipal() p: Principal, @RpcBody(OrderIdDto) dto: OrderIdDto, @RpcIdempotencyKey() key?: string) {
    return this.payOrder.execute(p, dto, key);
  }

  @MessagePattern(S.orderCancel)
  cancel(@RpcPrincipal() p: Principal, @RpcBody(CancelOrderDto) dto: CancelOrderDto, @RpcIdempotencyKey() key?: string) {
    return this.cancelOrder.execute(p, dto, key);
  }

  @MessagePattern(S.orderComplete)
  complete(@RpcPrincipal() p: Principal, @RpcBody(OrderIdDto) dto: OrderIdDto, @RpcIdempotencyKey() key?: string) {
    return this.completeOrder.execute(p, dto, key);
  }

  @MessagePattern(S.orderGet)
  getOrder(@RpcPrincipal() p: Principal, @RpcBody(OrderIdDto) dto: OrderIdDto) {
    return this.orders.get(p, dto);
  }

  @MessagePattern(S.orderList)
  listOrders(@RpcPrincipal() p: Principal, @RpcBody(ListOrdersDto) dto: ListOrdersDto) {
    return this.orders.list(p, dto);
  }

  @MessagePattern(S.claimSubmit)
  submit(@RpcPrincipal() p: Principal, @RpcBody(SubmitClaimDto) dto: SubmitClaimDto, @RpcIdempotencyKey() key?: string) {
    return this.submitClaim.execute(p, dto, key);
  }

  @MessagePattern(S.claimAmend)
  amend(@RpcPrincipal() p: Principal, @RpcBody(AmendClaimDto) dto: AmendClaimDto, @RpcIdempotencyKey() key?: string) {
    return this.amendClaim.execute(p, dto, key);
  }

  @MessagePattern(S.claimGet)
  getClaim(@RpcPrincipal() p: Principal, @RpcBody(ClaimIdDto) dto: ClaimIdDto) {
    return this.claims.get(p, dto);
  }

  @MessagePattern(S.claimList)
  listClaims(@RpcPrincipal() p: Principal, @RpcBody(ListClaimsDto) dto: ListClaimsDto) {
    return this.claims.list(p, dto);
  }

  @MessagePattern(S.balanceGet)
  balance(@RpcPrincipal() p: Principal, @RpcBody(BalanceQueryDto) dto: BalanceQueryDto) {
    return this.balances.get(p, dto);
  }

  /** Whether redemption has heard of a provider, enterprise, programme yet (reads lag writes). */
  @MessagePattern(S.readinessGet)
  readinessGet(@RpcPrincipal() p: Principal, @RpcBody(ReadinessQueryDto) dto: ReadinessQueryDto) {
    return this.readiness.execute(p, dto);
  }

  @MessagePattern(S.quotaLapse)
  lapse(@RpcPrincipal() p: Principal, @RpcBody(LapseQuotaDto) dto: LapseQuotaDto, @RpcIdempotencyKey() key?: string) {
    return this.lapseQuota.execute(p, dto, key);
  }

  @MessagePattern(S.auditList)
  audit(@RpcPrincipal() p: Principal, @RpcBody(AuditQueryDto) dto: AuditQueryDto) {
    return this.auditLog.execute(p, dto);
  }
}
