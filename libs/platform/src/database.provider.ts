import { Injectable, Inject, OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { AppConfig } from '@vc/config';
import { createServiceDataSource, migrate } from '@vc/database';
import { EventSigner, NATS_CONNECTION, OutboxRelay } from '@vc/messaging';
import { ServiceDefinition, SERVICE_DEFINITION } from './service-definition';

export function dataSourceProvider(): Provider {
  return {
    provide: DataSource,
    inject: [AppConfig, SERVICE_DEFINITION],
    useFactory: async (config: AppConfig, def: ServiceDefinition) => {
      const ds = createServiceDataSource({
        url: config.DATABASE_URL,
        schema: def.schema,
        migrations: def.migrations,
        poolSize: config.DB_POOL_SIZE,
        connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
        statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
        applicationName: def.name,
      });
      await ds.initialize();
      await migrate(ds, def.schema);
      return ds;
    },
  };
}

/** The service's outbox relay; use cases call `published()` after a commit that wrote events. */
@Injectable()
export class Outbox implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly relay: OutboxRelay;

  constructor(
    ds: DataSource,
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    config: AppConfig,
    @Inject(SERVICE_DEFINITION) readonly def: ServiceDefinition,
    signer: EventSigner,
  ) {
    this.relay = new OutboxRelay(ds, nc, { schema: def.schema, signer, pollMs: config.OUTBOX_POLL_MS, fault: config.FAULT_INJECTION });
  }

  get schema(): string {
    return this.def.schema;
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }

  nudge(): void {
    this.relay.nudge();
  }
}

@Injectable()
export class DataSourceLifecycle implements OnApplicationShutdown {
  constructor(private readonly ds: DataSource, @Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}
  async onApplicationShutdown(): Promise<void> {
    void this.nc;
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
