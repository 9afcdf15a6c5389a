import { INestApplication } from '@nestjs/common';
import { loadConfig, AppConfig } from '@vc/config';
import { bootstrapService, ServiceDefinition } from '@vc/platform';
import { createTestDatabase, startNats, TestDatabase, TestNats } from './infra';
import { EventPublisher, NatsTestClient } from './clients';
import { testSecretsDir } from './secrets';

/**
 * Real PostgreSQL and real NATS (JetStream) for one suite, with services booted in-process.
 * Several instances of a service may be started to show queue-group behaviour.
 */
export class TestSystem {
  readonly apps: INestApplication[] = [];
  client!: NatsTestClient;
  /** publishes events as their owning service would (signed), for services a suite does not start */
  events!: EventPublisher;

  private constructor(readonly nats: TestNats, readonly db: TestDatabase) {}

  /**
   * A suite's own nats-server and database (on the shared PostgreSQL, or on `options.pgAdminUrl`'s
   * server); if either cannot be had, the other is released again (no server outlives a failed start).
   */
  static async start(options: { pgAdminUrl?: string } = {}): Promise<TestSystem> {
    const [nats, db] = await Promise.allSettled([startNats(), createTestDatabase(options.pgAdminUrl)]);
    if (nats.status === 'rejected' || db.status === 'rejected') {
      if (nats.status === 'fulfilled') await nats.value.dispose();
      if (db.status === 'fulfilled') await db.value.drop();
      throw nats.status === 'rejected' ? nats.reason : (db as PromiseRejectedResult).reason;
    }
    const system = new TestSystem(nats.value, db.value);
    system.client = await NatsTestClient.connect(nats.value.url);
    system.events = new EventPublisher(nats.value.url);
    return system;
  }

  config(overrides: Partial<AppConfig> = {}): AppConfig {
    return loadConfig(
      {},
      {
        NODE_ENV: 'test',
        SECRETS_DIR: testSecretsDir(),
        DATABASE_URL: this.db.url,
        NATS_URL: this.nats.url,
        LOG_LEVEL: 'warn',
        DB_POOL_SIZE: 5,
        OUTBOX_POLL_MS: 20,
        ...overrides,
      },
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
    await this.events?.close();
    for (const app of this.apps.reverse()) await app.close().catch(() => undefined);
    await this.nats.dispose();
    await this.db.drop();
  }
}
