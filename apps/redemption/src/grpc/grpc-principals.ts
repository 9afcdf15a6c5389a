import { Injectable } from '@nestjs/common';
import { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { actsForProvider, TokenService } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { isUuid, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { UnitOfWork } from '@vc/platform';
import { findProvider } from '../sql/redemption.sql';
import { grpcTlsDir } from './grpc-options';

export function metadataValue(metadata: Metadata, key: string): string | undefined {
  const [value] = metadata.get(key);
  return value === undefined ? undefined : value.toString();
}

/**
 * The principal of a gRPC call: the bearer token in the `authorization` metadata, verified here
 * as on NATS. With mutual TLS the client certificate binds the call to one provider unit (its CN):
 * the token must belong to that unit or to its legal entity, and the call acts for that unit only,
 * so a provider system never acts on another unit's orders.
 */
@Injectable()
export class GrpcPrincipals {
  private readonly tls: boolean;

  constructor(private readonly tokens: TokenService, config: AppConfig, private readonly uow: UnitOfWork) {
    this.tls = grpcTlsDir(config) !== undefined;
  }

  async resolve(metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<Principal> {
    const principal = await this.tokens.verifyHeader(metadataValue(metadata, 'authorization'));
    if (!this.tls) return principal;
    const cn = call.getAuthContext?.().sslPeerCertificate?.subject?.CN;
    const unitId = Array.isArray(cn) ? undefined : cn;
    if (!isUuid(unitId)) {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, { message: 'the client certificate must name a provider unit id as its CN' });
    }
    if (principal.role !== Role.Provider) {
      throw new DomainError(ErrorCode.FORBIDDEN, { message: 'a provider system certificate carries provider principals only' });
    }
    if (principal.org !== unitId) {
      const unit = await findProvider(this.uow.ds.manager, unitId);
      if (!unit || !actsForProvider(principal, unit)) {
        throw new DomainError(ErrorCode.FORBIDDEN, { message: 'the token does not belong to the provider unit of the client certificate' });
      }
    }
    return { ...principal, org: unitId };
  }
}
