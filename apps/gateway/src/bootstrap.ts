import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@vc/config';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH, toJson } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { GatewayModule } from './gateway.module';
import { asyncApiDocument } from './asyncapi';
import { openApiDocument } from './openapi';

/** The HTTP gateway (fastify) with OpenAPI at /docs. */
export async function bootstrapGateway(config: AppConfig, listen = true): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: trustedProxies(config) });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), adapter, { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  // JSON bodies: a body nested deeper than any request needs is refused before it is parsed, since
  // everything that walks a parsed body recurses (forwarding it overflowed the stack: a 500).
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: config.BODY_LIMIT_BYTES }, (req, body, done) => {
    const text = body.toString('utf8');
    if (jsonNestsDeeperThan(text)) {
      done(new DomainError(ErrorCode.MALFORMED_REQUEST, { message: `request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels` }), undefined);
      return;
    }
    parseJson(req as Parameters<typeof parseJson>[0], text, (err, parsed) => {
      // Every request body of the API is an object; a route adds its path parameters to it.
      if (!err && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) {
        done(new DomainError(ErrorCode.MALFORMED_REQUEST, { message: 'request body must be a JSON object' }), undefined);
        return;
      }
      done(err, parsed);
    });
  });
  // bigint fen in replies: safe integers as numbers, larger as strings (toJson).
  app.getHttpAdapter().getInstance().setReplySerializer((payload: unknown) => toJson(payload));
  // OpenAPI at /docs (UI) and /docs-json; the same document is kept as docs/openapi.json. Beside
  // it the AsyncAPI document of the NATS interface (docs/asyncapi.json), built once when first asked.
  // These routes are outside the rate limits (as the static pages are), so each document is
  // serialised once and sent as text: the library's own /docs-json and /docs-yaml serialised the
  // whole document on every request, an anonymous flood's cheap way to the gateway's CPU.
  let openApi: ReturnType<typeof openApiDocument> | undefined;
  const openApiOnce = () => (openApi ??= openApiDocument(app));
  SwaggerModule.setup('docs', app, openApiOnce, { raw: false });
  let openApiJson: string | undefined;
  app.getHttpAdapter().getInstance().get('/docs-json', (_req, reply) => {
    openApiJson ??= JSON.stringify(openApiOnce());
    void reply.header('content-type', 'application/json; charset=utf-8').send(openApiJson);
  });
  let asyncApi: string | undefined;
  app.getHttpAdapter().getInstance().get('/docs/asyncapi.json', (_req, reply) => {
    asyncApi ??= JSON.stringify(asyncApiDocument(app));
    void reply.header('content-type', 'application/json; charset=utf-8').send(asyncApi);
  });
  // The web pages (public publicity list, operator console): static files, no internet needed.
  const webRoot = process.env.WEB_ROOT ?? join(__dirname, '..', '..', 'web', 'public');
  if (existsSync(webRoot)) {
    app.useStaticAssets({ root: webRoot, prefix: '/', index: ['index.html'], decorateReply: false });
    app.useStaticAssets({ root: dirname(require.resolve('chart.js')), prefix: '/vendor/chart/', decorateReply: false });
  }
  if (listen) await app.listen(config.HTTP_PORT || 3000, config.BIND_ADDRESS);
  else {
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  }
  return app;
}

/** The proxies whose X-Forwarded-For the gateway believes (TRUSTED_PROXIES); none by default. */
function trustedProxies(config: AppConfig): string[] | false {
  const list = (config.TRUSTED_PROXIES ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  return list.length > 0 ? list : false;
}
