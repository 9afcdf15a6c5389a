import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { GrpcOptions, Transport } from '@nestjs/microservices';
import { secretFileExists, SecretFiles } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { VOUCHER_REDEMPTION_PACKAGE, VOUCHER_REDEMPTION_PROTO } from '@vc/contracts';

/**
 * Loader options shared by the server and provider clients: camelCase fields (as in the NATS and
 * HTTP bodies), int64 fen as decimal strings (converted to bigint by the DTOs), absent fields absent.
 */
export const PROTO_LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: false, oneofs: true };

/**
 * Where the gRPC server's TLS material is: GRPC_TLS_DIR, or SECRETS_DIR/grpc when it holds a server
 * certificate; none means plaintext, which only GRPC_PLAINTEXT=true allows (refused in production).
 */
export function grpcTlsDir(config: AppConfig): string | undefined {
  if (config.GRPC_TLS_DIR) return config.GRPC_TLS_DIR;
  return secretFileExists(config.SECRETS_DIR, join(SecretFiles.grpcDir, 'server.crt')) ? join(config.SECRETS_DIR!, SecretFiles.grpcDir) : undefined;
}

/**
 * Mutual TLS with ca.crt, server.crt and server.key (grpcTlsDir): a provider system must present a
 * client certificate signed by that CA; its CN names the provider unit it acts for. Without TLS
 * material the server does not start, unless plaintext was asked for (development and tests).
 */
export function grpcServerCredentials(config: AppConfig): ServerCredentials {
  const dir = grpcTlsDir(config);
  if (!dir) {
    if (config.GRPC_PLAINTEXT === 'true') return ServerCredentials.createInsecure();
    throw new Error('GRPC_PORT is set but there is no TLS material (GRPC_TLS_DIR, or SECRETS_DIR/grpc); set GRPC_PLAINTEXT=true for gRPC without TLS in development');
  }
  const read = (file: string) => readFileSync(join(dir, file));
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
      url: `${config.BIND_ADDRESS}:${config.GRPC_PORT}`,
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
