import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { connect, NatsConnection } from 'nats';
import { AppConfig } from '@vc/config';
import { EVENT_STREAM, EVENT_SUBJECT_PREFIX } from '@vc/contracts';
import { RpcClient } from './rpc-client';

export { NATS_CONNECTION } from './tokens';
import { NATS_CONNECTION } from './tokens';

export function natsConnectOptions(config: AppConfig, name: string) {
  return {
    servers: config.NATS_URL.split(','),
    name,
    user: config.NATS_USER,
    pass: config.NATS_PASSWORD,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // No `new Error()` per request to give a timeout the caller's stack: it cost about 6 % of the
    // gateway's CPU under load (bench profile). Timeouts still name the subject.
    noAsyncTraces: true,
  };
}

/** Creates the event stream if it is missing (idempotent; every service may call it at boot). */
export async function ensureEventStream(nc: NatsConnection, replicas = 1): Promise<void> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(EVENT_STREAM);
  } catch {
    try {
      await jsm.streams.add({
        name: EVENT_STREAM,
        subjects: [`${EVENT_SUBJECT_PREFIX}.>`],
        num_replicas: replicas,
        duplicate_window: 2 * 60 * 1_000_000_000,
      });
    } catch (err) {
      // another instance created it in between
      await jsm.streams.info(EVENT_STREAM).catch(() => {
        throw err;
      });
    }
  }
}

@Injectable()
class NatsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}
  async onApplicationShutdown(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }
}

/** One NATS connection per process, for outgoing requests, the outbox relay and consumers. */
@Global()
@Module({})
export class NatsModule {
  static forRoot(service: string): DynamicModule {
    return {
      module: NatsModule,
      providers: [
        {
          provide: NATS_CONNECTION,
          inject: [AppConfig],
          useFactory: async (config: AppConfig) => {
            const nc = await connect(natsConnectOptions(config, `${service}-client`));
            await ensureEventStream(nc, config.NATS_STREAM_REPLICAS);
            new Logger('Nats').log(`connected to ${nc.getServer()}`);
            return nc;
          },
        },
        NatsLifecycle,
        RpcClient,
      ],
      exports: [NATS_CONNECTION, RpcClient],
    };
  }
}
