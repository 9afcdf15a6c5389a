import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { CancelOrderDto, CreateOrderDto, OrderIdDto, Principal, SubmitClaimDto, toWire, validateDto, VOUCHER_REDEMPTION_SERVICE } from '@vc/contracts';
import { withCorrelationId } from '@vc/logging';
import { CancelOrderUseCase } from '../use-cases/cancel-order.use-case';
import { CompleteOrderUseCase } from '../use-cases/complete-order.use-case';
import { ConfirmOrderUseCase } from '../use-cases/confirm-order.use-case';
import { CreateOrderUseCase } from '../use-cases/create-order.use-case';
import { OrderQueries } from '../use-cases/order-queries';
import { PayOrderUseCase } from '../use-cases/pay-order.use-case';
import { QuoteVoucherUseCase } from '../use-cases/quote-voucher.use-case';
import { SubmitClaimUseCase } from '../use-cases/submit-claim.use-case';
import { claimMessage, orderMessage, quoteMessage } from './grpc-messages';
import { GrpcPrincipals, metadataValue } from './grpc-principals';

type Call = ServerUnaryCall<unknown, unknown>;
const SERVICE = VOUCHER_REDEMPTION_SERVICE;

/**
 * gRPC interface for provider systems (voucher_redemption.proto). Thin: authenticate, validate the
 * request with the same DTO as NATS, call the same use case, return the same view (bigint fen as
 * int64). Refusals become gRPC statuses in GrpcErrorFilter.
 */
@Controller()
export class RedemptionGrpcController {
  constructor(
    private readonly principals: GrpcPrincipals,
    private readonly quoteVoucher: QuoteVoucherUseCase,
    private readonly createOrder: CreateOrderUseCase,
    private readonly confirmOrder: ConfirmOrderUseCase,
    private readonly payOrder: PayOrderUseCase,
    private readonly cancelOrder: CancelOrderUseCase,
    private readonly completeOrder: CompleteOrderUseCase,
    private readonly submitClaim: SubmitClaimUseCase,
    private readonly orders: OrderQueries,
  ) {}

  /** Runs a use case for the call's principal; its reply (as on NATS, bigint fen as int64) becomes the message by `message`. */
  private run<V>(metadata: Metadata, call: Call, fn: (principal: Principal, idempotencyKey?: string) => Promise<V>, message: (view: V) => object): Promise<unknown> {
    return withCorrelationId(metadataValue(metadata, 'x-correlation-id'), async () => {
      const principal = await this.principals.resolve(metadata, call);
      return message(toWire(await fn(principal, metadataValue(metadata, 'idempotency-key'))) as V);
    });
  }

  @GrpcMethod(SERVICE, 'QuoteVoucher')
  quote(request: unknown, metadata: Metadata, call: Call) {
    return this.run(metadata, call, (p) => this.quoteVoucher.execute(p, validateDto(OrderIdDto, request)), quoteMessage);
  }

  @GrpcMethod(SERVICE, 'CreateOrder')
  create(request: unknown, metadata: Metadata, call: Call) {
    return this.run(metadata, call, (p, key) => this.createOrder.execute(p, validateDto(CreateOrderDto, request), key), orderMessage);
  }

  @GrpcMethod(SERVICE, 'ConfirmOrder')
  confirm(request: unknown, metadata: Metadata, call: Call) {
    return this.run(metadata, call, (p, key) => this.confirmOrder.execute(p, validateDto(OrderIdDto, request), key), orderMessage);
  }

  @GrpcMethod(SERVICE, 'PayOrder')
  pay(request: unknown, metadata: Metadata, call: Call) {
    return this.run(metadata, call, (p, key) => this.payOrder.execute(p, validateDto(OrderIdDto, request), key), orderMessage);
  }

  @GrpcMethod(SERVICE, 'CancelOrder')
  cancel(request: unknown, metadata: Metadata, call: Call) {
    return this.run(metadata, call, (p, key) => this.cancelOrder.execute(p, validateDto(CancelOrderDto, request), key), orderMessage);
  }

  @GrpcMethod(SERVICE, 'CompleteOrder')
  complete(request: unknown, metadata: Metadata, call: Call) {
    return this.run(metadata, call, (p, key) => this.completeOrder.execute(p, validateDto(OrderIdDto, request), key), orderMessage);
  }

  @GrpcMethod(SERVICE, 'SubmitClaim')
  submit(request: unknown, metadata: Metadata, call: Call) {
    return this.run(metadata, call, (p, key) => this.submitClaim.execute(p, validateDto(SubmitClaimDto, request), key), claimMessage);
  }

  @GrpcMethod(SERVICE, 'GetOrder')
  get(request: unknown, metadata: Metadata, call: Call) {
    return this.run(metadata, call, (p) => this.orders.get(p, validateDto(OrderIdDto, request)), orderMessage);
  }
}
