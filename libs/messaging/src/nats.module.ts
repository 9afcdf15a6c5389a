import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { connect, NatsConnection } from 'nats';
import { readSecretFile, SecretFiles } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { EVENT_STREAM, EVENT_SUBJECT_PREFIX } from '@vc/contracts';
import { RpcClient } from './rpc-client';

export { NATS_CONNECTION } from './tokens';
import { NATS_CONNECTION } from './tokens';

/**
 * Who a process is on NATS: NATS_USER, or by default `user` (a service's name, `gateway`); the
 * password from NATS_PASSWORD or SECRETS_DIR/nats/<user>.password. There is no anonymous access:
 * without a password the process refuses to start.
 */
export function natsCredentials(config: AppConfig, user: string): { user: string; pass: string } {
  const name = config.NATS_USER ?? user;
  const pass = config.NATS_PASSWORD ?? readSecretFile(config.SECRETS_DIR, SecretFiles.natsPassword(name), `the NATS password of ${name}`);
  return { user: name, pass };
}

/**
 * Inboxes of a user (replies to its requests, JetStream deliveries) are under `_INBOX_<user>.`, a
 * prefix only that user may subscribe to: no other client of the account can read its replies.
 */
export function inboxPrefix(user: string): string {
  return `_INBOX_${user}`;
}

export function natsConnectOptions(config: AppConfig, name: string, user: string) {
  const credentials = natsCredentials(config, user);
  return {
    servers: config.NATS_URL.split(','),
    name,
    ...credentials,
    inboxPrefix: inboxPrefix(credentials.user),
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
  /** `stream`: whether this process uses the event stream (services do; the gateway does not). */
  static forRoot(service: string, stream = true): DynamicModule {
    return {
      module: NatsModule,
      providers: [
        {
          provide: NATS_CONNECTION,
          inject: [AppConfig],
          useFactory: async (config: AppConfig) => {
            const nc = await connect(natsConnectOptions(config, `${service}-client`, service));
            if (stream) await ensureEventStream(nc, config.NATS_STREAM_REPLICAS);
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
