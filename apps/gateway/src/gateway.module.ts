import { DynamicModule, ExecutionContext, Module } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from '@vc/auth';
import { AppConfig, AppConfigModule } from '@vc/config';
import { AppLoggingModule } from '@vc/logging';
import { NATS_CONNECTION, NatsModule } from '@vc/messaging';
import { BankHttpController } from './areas/bank.http.controller';
import { CalendarHttpController } from './areas/calendar.http.controller';
import { ReadinessHttpController } from './areas/readiness.http.controller';
import { DevAuthHttpController } from './areas/dev-auth.http.controller';
import { IssuanceHttpController } from './areas/issuance.http.controller';
import { RedemptionHttpController } from './areas/redemption.http.controller';
import { RegistryHttpController } from './areas/registry.http.controller';
import { SettlementHttpController } from './areas/settlement.http.controller';
import { GatewayHealthController } from './gateway-health.controller';
import { GatewayMetricsServer } from './metrics.server';
import { Forwarder } from './http/forwarder';
import { HttpAuthGuard } from './http/http-auth.guard';
import { HttpErrorFilter } from './http/http-error.filter';
import { budgetOf, limitOf, PrincipalThrottlerGuard } from './http/throttler.guard';
import { NatsKvThrottlerStorage } from './http/rate-limit.storage';
import { AuthedRequest } from './http/http-auth.guard';
import { PublicDocumentsCache } from './http/public-documents.cache';

/** The rate limits' window: requests per minute. */
const RATE_WINDOW_MS = 60_000;

/** Controllers of each business area; each file forwards to one service. */
export const AREA_CONTROLLERS = [RegistryHttpController, IssuanceHttpController, RedemptionHttpController, SettlementHttpController, CalendarHttpController, BankHttpController, ReadinessHttpController];

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        AppConfigModule.forRoot(config),
        AppLoggingModule.forRoot('gateway', config.LOG_LEVEL),
        AuthModule,
        NatsModule.forRoot('gateway', false),
        // one budget per kind of principal, counted by every gateway instance together (a NATS KV bucket)
        ThrottlerModule.forRootAsync({
          inject: [NATS_CONNECTION],
          useFactory: (nc: NatsConnection) => ({
            throttlers: [{ name: 'default', ttl: RATE_WINDOW_MS, limit: (context: ExecutionContext) => limitOf(config, budgetOf(context.switchToHttp().getRequest<AuthedRequest>().principal)) }],
            storage: new NatsKvThrottlerStorage(nc, RATE_WINDOW_MS, config.NATS_STREAM_REPLICAS),
          }),
        }),
        TerminusModule,
      ],
      // The development sign-in exists only where it is asked for (never in production).
      controllers: [GatewayHealthController, ...(config.DEV_SIGN_IN === 'true' ? [DevAuthHttpController] : []), ...AREA_CONTROLLERS],
      providers: [
        Forwarder,
        PublicDocumentsCache,
        GatewayMetricsServer,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        // order matters: authenticate first, so the rate limit counts per principal
        { provide: APP_GUARD, useClass: HttpAuthGuard },
        { provide: APP_GUARD, useClass: PrincipalThrottlerGuard },
      ],
    };
  }
}
