import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { AuthModule } from '@vc/auth';
import { AppConfig, AppConfigModule } from '@vc/config';
import { AppLoggingModule } from '@vc/logging';
import { NatsModule, RpcAuthGuard } from '@vc/messaging';
import { DataSourceLifecycle, dataSourceProvider, Outbox } from './database.provider';
import { DependencyHealth, HealthController } from './health';
import { UnitOfWork } from './unit-of-work';
import { Clock } from './clock';
import { ReadinessDetails } from './readiness';
import { SERVICE_DEFINITION, ServiceDefinition } from './service-definition';
import { EventSigner, EventVerifier } from '@vc/messaging';
import { ServiceTokenSigner, TrustedServiceKeys } from '@vc/auth';
import { identityOf, SERVICE_KEY, serviceKeyProviders } from './service-keys';
import { ReadQuarantineUseCase } from './read-quarantine.use-case';
import { CopyFreshness, HeartbeatEmitter } from './copies';

/**
 * What every NATS service has: validated config, structured logs, principal tokens, one NATS
 * connection, its own PostgreSQL schema (migrated at boot), the outbox relay, health and metrics.
 */
@Module({})
export class ServiceCoreModule {
  static forRoot(def: ServiceDefinition, config: AppConfig): DynamicModule {
    const definition = { provide: SERVICE_DEFINITION, useValue: def };
    const core: DynamicModule = {
      module: ServiceCoreModule,
      global: true,
      imports: [TerminusModule],
      controllers: [HealthController],
      providers: [
        definition,
        ...serviceKeyProviders(),
        dataSourceProvider(),
        Outbox,
        UnitOfWork,
        Clock,
        DataSourceLifecycle,
        DependencyHealth,
        RpcAuthGuard,
        ReadQuarantineUseCase,
        ReadinessDetails,
        HeartbeatEmitter,
        CopyFreshness,
      ],
      exports: [definition, DataSource, Outbox, UnitOfWork, Clock, RpcAuthGuard, TrustedServiceKeys, SERVICE_KEY, EventSigner, EventVerifier, ServiceTokenSigner, ReadQuarantineUseCase, ReadinessDetails, CopyFreshness],
    };
    return {
      module: class ServiceRootModule {},
      imports: [
        AppConfigModule.forRoot(config),
        AppLoggingModule.forRoot(def.name, config.LOG_LEVEL),
        AuthModule,
        NatsModule.forRoot(identityOf(def)),
        core,
        def.feature,
      ],
    };
  }
}
