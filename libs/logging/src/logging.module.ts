import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { acceptedCorrelationId, currentCorrelationId } from './correlation';

/**
 * Structured JSON logs (pino); every line carries the service and the request's correlation id.
 *
 * Each HTTP request gets a logger of its own (pino-http) only at `debug` and `trace`, the levels
 * that log every request. At `info` and above nothing would use it, and building it cost the
 * gateway about a tenth of its CPU under the enterprise read (two child loggers per request, one
 * binding the whole request with its headers serialised and redacted: bench profile): there a
 * line logged during a request carries the request's correlation id through the mixin instead
 * (the gateway runs each request under one, `runUnderCorrelationId`).
 */
@Module({})
export class AppLoggingModule {
  static forRoot(service: string, level: string): DynamicModule {
    const perRequest = level === 'debug' || level === 'trace';
    return {
      module: AppLoggingModule,
      imports: [
        LoggerModule.forRoot({
          // no routes: the per-request middleware is not installed
          ...(perRequest ? {} : { forRoutes: [] }),
          pinoHttp: {
            level,
            base: { service },
            mixin: () => {
              const correlationId = currentCorrelationId();
              return correlationId ? { correlationId } : {};
            },
            genReqId: (req: IncomingMessage) => currentCorrelationId() ?? acceptedCorrelationId(req.headers['x-correlation-id']) ?? randomUUID(),
            redact: ['req.headers.authorization'],
            autoLogging: perRequest,
            quietReqLogger: true,
          },
        }),
      ],
    };
  }
}
