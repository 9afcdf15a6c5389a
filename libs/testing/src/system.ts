import { INestApplication } from '@nestjs/common';
import { loadConfig, AppConfig } from '@vc/config';
import { bootstrapService, ServiceDefinition } from '@vc/platform';
import { createTestDatabase, startNats, TestDatabase, TestNats } from './infra';
import { NatsTestClient } from './clients';

/**
 * Real PostgreSQL and real NATS (JetStream) for one suite, with services booted in-process.
 * Several instances of a service may be started to show queue-group behaviour.
 */
export class TestSystem {
  readonly apps: INestApplication[] = [];
  client!: NatsTestClient;

  private constructor(readonly nats: TestNats, readonly db: TestDatabase) {}

  static async start(): Promise<TestSystem> {
    const [nats, db] = await Promise.all([startNats(), createTestDatabase()]);
    const system = new TestSystem(nats, db);
    system.client = await NatsTestClient.connect(nats.url);
    return system;
  }

  config(overrides: Partial<AppConfig> = {}): AppConfig {
    return loadConfig(
      {},
      { NODE_ENV: 'test', DATABASE_URL: this.db.url, NATS_URL: this.nats.url, LOG_LEVEL: 'warn', DB_POOL_SIZE: 5, OUTBOX_POLL_MS: 20, ...overrides },
    );
  }

  async startService(def: ServiceDefinition, overrides: Partial<AppConfig> = {}): Promise<INestApplication> {
    const app = await bootstrapService(def, this.config(overrides));
    this.apps.push(app);
    return app;
  }

  async stopApp(app: INestApplication): Promise<void> {
    const i = this.apps.indexOf(app);
    if (i >= 0) this.apps.splice(i, 1);
    await app.close();
  }

  async stop(): Promise<void> {
    await this.client?.close();
    for (const app of this.apps.reverse()) await app.close().catch(() => undefined);
    await this.nats.dispose();
    await this.db.drop();
  }
}
