import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from '@vc/auth';
import { AppConfig, AppConfigModule } from '@vc/config';
import { AppLoggingModule } from '@vc/logging';
import { NatsModule } from '@vc/messaging';
import { BankHttpController } from './areas/bank.http.controller';
import { CalendarHttpController } from './areas/calendar.http.controller';
import { ReadinessHttpController } from './areas/readiness.http.controller';
import { DevAuthHttpController } from './areas/dev-auth.http.controller';
import { IssuanceHttpController } from './areas/issuance.http.controller';
import { RedemptionHttpController } from './areas/redemption.http.controller';
import { RegistryHttpController } from './areas/registry.http.controller';
import { SettlementHttpController } from './areas/settlement.http.controller';
import { GatewayHealthController } from './gateway-health.controller';
import { Forwarder } from './http/forwarder';
import { HttpAuthGuard } from './http/http-auth.guard';
import { HttpErrorFilter } from './http/http-error.filter';
import { PrincipalThrottlerGuard } from './http/throttler.guard';
import { PublicDocumentsCache } from './http/public-documents.cache';

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
        ThrottlerModule.forRoot([{ name: 'default', ttl: 60_000, limit: config.RATE_LIMIT_PER_MINUTE }]),
        TerminusModule,
      ],
      // The development sign-in exists only where it is asked for (never in production).
      controllers: [GatewayHealthController, ...(config.DEV_SIGN_IN === 'true' ? [DevAuthHttpController] : []), ...AREA_CONTROLLERS],
      providers: [
        Forwarder,
        PublicDocumentsCache,
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        // order matters: authenticate first, so the rate limit counts per principal
        { provide: APP_GUARD, useClass: HttpAuthGuard },
        { provide: APP_GUARD, useClass: PrincipalThrottlerGuard },
      ],
    };
  }
}
