import { Module } from '@nestjs/common';
import { ReadAuditUseCase, ServiceDefinition } from '@vc/platform';
import { ProjectionsConsumer } from './consumers/projections.consumer';
import { SettlementConsumer } from './consumers/settlement.consumer';
import { GrpcPrincipals } from './grpc/grpc-principals';
import { RedemptionGrpcController } from './grpc/redemption.grpc.controller';
import { redemptionMigrations } from './migrations';
import { RedemptionRpcController } from './redemption.rpc.controller';
import { AmendClaimUseCase } from './use-cases/amend-claim.use-case';
import { BalanceQueries } from './use-cases/balance-queries';
import { ReadinessQueries } from './use-cases/readiness-queries';
import { CancelOrderUseCase } from './use-cases/cancel-order.use-case';
import { ClaimQueries } from './use-cases/claim-queries';
import { CompleteOrderUseCase } from './use-cases/complete-order.use-case';
import { ConfirmOrderUseCase } from './use-cases/confirm-order.use-case';
import { CreateOrderUseCase } from './use-cases/create-order.use-case';
import { ConfirmClaimsUseCase } from './use-cases/confirm-claims.use-case';
import { InvoiceFlags } from './use-cases/invoice-flags';
import { LapseQuotaUseCase } from './use-cases/lapse-quota.use-case';
import { OrderQueries } from './use-cases/order-queries';
import { PayOrderUseCase } from './use-cases/pay-order.use-case';
import { QuotaLapseJob } from './jobs/quota-lapse.job';
import { PaymentBatcher } from './use-cases/payment-batcher';
import { QuoteVoucherUseCase } from './use-cases/quote-voucher.use-case';
import { SubmitClaimUseCase } from './use-cases/submit-claim.use-case';

@Module({
  controllers: [RedemptionRpcController, RedemptionGrpcController],
  providers: [
    CreateOrderUseCase,
    ConfirmOrderUseCase,
    QuoteVoucherUseCase,
    PayOrderUseCase,
    PaymentBatcher,
    CancelOrderUseCase,
    CompleteOrderUseCase,
    OrderQueries,
    SubmitClaimUseCase,
    AmendClaimUseCase,
    InvoiceFlags,
    ClaimQueries,
    BalanceQueries,
    ReadinessQueries,
    LapseQuotaUseCase,
    ConfirmClaimsUseCase,
    ReadAuditUseCase,
    GrpcPrincipals,
    ProjectionsConsumer,
    SettlementConsumer,
    QuotaLapseJob,
  ],
})
export class RedemptionModule {}

export const redemptionService: ServiceDefinition = {
  name: 'redemption',
  schema: 'redemption',
  migrations: redemptionMigrations,
  feature: RedemptionModule,
};
