import { INestMicroservice } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@vc/config';
import { applyHeapPolicy, bootstrapService } from '@vc/platform';
import { GrpcErrorFilter } from './grpc/grpc-error.filter';
import { grpcOptions } from './grpc/grpc-options';
import { redemptionService } from './redemption.module';

/**
 * Redemption is a hybrid app: the platform's NATS service (queue group 'redemption', health and
 * metrics over HTTP) plus the gRPC server for provider systems on GRPC_PORT, both calling the same
 * use cases. The gRPC transport gets its own error filter; authentication is in its controller.
 */
export async function bootstrapRedemption(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await bootstrapService(redemptionService, config);
  if (config.GRPC_PORT > 0) {
    const grpc = app.connectMicroservice(grpcOptions(config), { deferInitialization: true }) as INestMicroservice & {
      setIsInitHookCalled(called: boolean): void;
    };
    grpc.useGlobalFilters(new GrpcErrorFilter());
    // The application's lifecycle hooks have run already; the late transport must not run them again.
    grpc.setIsInitHookCalled(true);
    await grpc.listen();
  }
  return app;
}

export async function runRedemption(config: AppConfig): Promise<NestFastifyApplication> {
  applyHeapPolicy(config);
  const app = await bootstrapRedemption(config);
  app.get(Logger).log(
    `redemption service ready (NATS ${config.NATS_URL}${config.HTTP_PORT ? `, HTTP :${config.HTTP_PORT}` : ''}` +
      `${config.GRPC_PORT ? `, gRPC :${config.GRPC_PORT}${config.GRPC_TLS_DIR ? ' mTLS' : ''}` : ''})`,
  );
  return app;
}
