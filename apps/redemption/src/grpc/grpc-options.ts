import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
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

/**
 * What reflection describes: the .proto as written (snake_case field names; the server's own
 * definition has them camelCased for the handlers), with the google.rpc error details it sends.
 */
function reflectedDefinition() {
  const dir = dirname(VOUCHER_REDEMPTION_PROTO);
  return loadSync([VOUCHER_REDEMPTION_PROTO, join(dir, 'google', 'rpc', 'status.proto'), join(dir, 'google', 'rpc', 'error_details.proto')], { keepCase: true, includeDirs: [dir] });
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
      // server reflection (v1 and v1alpha): tools such as grpcurl list and call the service without the .proto
      onLoadPackageDefinition: (_pkg: unknown, server: Server) => new ReflectionService(reflectedDefinition()).addToServer(server),
      gracefulShutdown: true,
    },
  };
}
