import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { loadConfig } from '@vc/config';
import { GatewayModule } from '../../apps/gateway/src/gateway.module';
import { asyncApiDocument } from '../../apps/gateway/src/asyncapi';
import { openApiDocument } from '../../apps/gateway/src/openapi';

/**
 * The published contracts as the files kept in docs/: built from the code without connecting to
 * anything (the gateway's module graph in preview mode: no provider is instantiated).
 */
export async function gatewayOpenApi(): Promise<string> {
  return withGateway((app) => `${JSON.stringify(openApiDocument(app), null, 2)}\n`);
}

/** docs/asyncapi.json: the NATS request subjects and events (from libs/contracts). */
export async function natsAsyncApi(): Promise<string> {
  return withGateway((app) => `${JSON.stringify(asyncApiDocument(app), null, 2)}\n`);
}

async function withGateway(fn: (app: INestApplication) => string): Promise<string> {
  // with the development sign-in mounted, so that its route is documented (as DEV_SIGN_IN only)
  const config = loadConfig({ ...process.env, NODE_ENV: 'development', DEV_SIGN_IN: 'true' });
  const app = await NestFactory.create(GatewayModule.forRoot(config), new FastifyAdapter(), { preview: true, logger: false, abortOnError: false });
  try {
    return fn(app);
  } finally {
    await app.close();
  }
}
