import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { currentCorrelationId } from './correlation';

/** Structured JSON logs (pino); every line carries the service and the request's correlation id. */
@Module({})
export class AppLoggingModule {
  static forRoot(service: string, level: string): DynamicModule {
    return {
      module: AppLoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level,
            base: { service },
            mixin: () => {
              const correlationId = currentCorrelationId();
              return correlationId ? { correlationId } : {};
            },
            genReqId: (req: IncomingMessage) => {
              const header = req.headers['x-correlation-id'];
              return (Array.isArray(header) ? header[0] : header) || randomUUID();
            },
            redact: ['req.headers.authorization'],
            autoLogging: level === 'debug' || level === 'trace',
            quietReqLogger: true,
          },
        }),
      ],
    };
  }
}
