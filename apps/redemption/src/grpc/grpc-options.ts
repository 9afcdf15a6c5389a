import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { GrpcOptions, Transport } from '@nestjs/microservices';
import { AppConfig } from '@vc/config';
import { VOUCHER_REDEMPTION_PACKAGE, VOUCHER_REDEMPTION_PROTO } from '@vc/contracts';

/**
 * Loader options shared by the server and provider clients: camelCase fields (as in the NATS and
 * HTTP bodies), int64 fen as decimal strings (converted to bigint by the DTOs), absent fields absent.
 */
export const PROTO_LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: false, oneofs: true };

/**
 * Mutual TLS when GRPC_TLS_DIR holds ca.crt, server.crt and server.key: a provider system must
 * present a client certificate signed by that CA; its CN names the provider unit it acts for.
 */
export function grpcServerCredentials(config: AppConfig): ServerCredentials {
  if (!config.GRPC_TLS_DIR) return ServerCredentials.createInsecure();
  const read = (file: string) => readFileSync(join(config.GRPC_TLS_DIR!, file));
  return ServerCredentials.createSsl(read('ca.crt'), [{ private_key: read('server.key'), cert_chain: read('server.crt') }], true);
}

export function grpcOptions(config: AppConfig): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      package: VOUCHER_REDEMPTION_PACKAGE,
      protoPath: VOUCHER_REDEMPTION_PROTO,
      url: `0.0.0.0:${config.GRPC_PORT}`,
      loader: PROTO_LOADER_OPTIONS,
      // undecodable bytes are refused as INVALID_ARGUMENT by validation, not INTERNAL by grpc-js
      protoLoader: require.resolve('./safe-proto-loader'),
      credentials: grpcServerCredentials(config),
      gracefulShutdown: true,
    },
  };
}
