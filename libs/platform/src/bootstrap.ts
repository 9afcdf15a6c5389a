import { INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@vc/config';
import {
  JsonReplySerializer,
  JsonRequestDeserializer,
  natsConnectOptions,
  RpcAuthGuard,
  RpcErrorFilter,
  VoucherNatsServer,
} from '@vc/messaging';
import { applyHeapPolicy } from './memory';
import { ServiceCoreModule } from './service-core.module';
import { ServiceDefinition } from './service-definition';

void APP_FILTER;

/**
 * Boots one NATS service: request-reply handlers in the queue group named after the service (so
 * N instances share the load, each request handled once), plus a small HTTP port for health and
 * metrics when HTTP_PORT is set.
 */
export async function bootstrapService(def: ServiceDefinition, config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(ServiceCoreModule.forRoot(def, config), new FastifyAdapter(), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const microservice = app.connectMicroservice<MicroserviceOptions>({
    // The caller's correlation id is set by the strategy around each request (no interceptor).
    strategy: new VoucherNatsServer({
      ...natsConnectOptions(config, `${def.name}-server`, def.name),
      queue: def.name,
      serializer: new JsonReplySerializer(),
      deserializer: new JsonRequestDeserializer(),
      gracefulShutdown: true,
      gracePeriod: 1000,
    }),
  }, { deferInitialization: true }); // so that the global guard and filter below apply to its handlers
  microservice.useGlobalFilters(new RpcErrorFilter());
  microservice.useGlobalGuards(app.get(RpcAuthGuard));
  await app.startAllMicroservices();
  if (config.HTTP_PORT > 0) await app.listen(config.HTTP_PORT, config.BIND_ADDRESS);
  else await app.init();
  return app;
}

export async function runService(def: ServiceDefinition, config: AppConfig): Promise<INestApplication> {
  applyHeapPolicy(config);
  const app = await bootstrapService(def, config);
  app.get(Logger).log(`${def.name} service ready (NATS ${config.NATS_URL}${config.HTTP_PORT ? `, HTTP :${config.HTTP_PORT}` : ''})`);
  return app;
}
