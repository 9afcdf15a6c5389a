import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { NatsContext } from '@nestjs/microservices';
import { TokenService, PUBLIC_KEY, ROLES_KEY } from '@vc/auth';
import { Headers, Principal, Role, validateDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { MALFORMED_BODY, TOO_DEEP_BODY, TOO_DEEP_MESSAGE } from './rpc-wire';
import { natsHeader } from './nats-server';

type AuthenticatedContext = NatsContext & { principal?: Principal };

function header(ctx: NatsContext, name: string): string | undefined {
  return natsHeader(ctx.getHeaders(), name);
}

/**
 * Authenticates every NATS request: the principal's token travels in the Authorization header and
 * is verified by the owning service itself, not only at the gateway (defence in depth).
 */
@Injectable()
export class RpcAuthGuard implements CanActivate {
  constructor(private readonly tokens: TokenService, private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'rpc') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    const ctx = context.switchToRpc().getContext<AuthenticatedContext>();
    const auth = header(ctx, Headers.Authorization);
    if (isPublic && !auth) return true;
    const principal = await this.tokens.verifyHeader(auth);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (roles && !roles.includes(principal.role)) {
      throw new DomainError(ErrorCode.FORBIDDEN, { message: `role ${principal.role} may not do this` });
    }
    ctx.principal = principal;
    return true;
  }
}

/** The authenticated principal of the NATS request (set by RpcAuthGuard). */
export const RpcPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal | undefined => {
  return context.switchToRpc().getContext<AuthenticatedContext>().principal;
});

export const RpcIdempotencyKey = createParamDecorator((_: unknown, context: ExecutionContext): string | undefined => {
  return header(context.switchToRpc().getContext<NatsContext>(), Headers.IdempotencyKey);
});

/** The HTTP client's address the gateway forwarded, if any (see Headers.ClientAddress). */
export const RpcClientAddress = createParamDecorator((_: unknown, context: ExecutionContext): string | undefined => {
  return header(context.switchToRpc().getContext<NatsContext>(), Headers.ClientAddress);
});

/** The request body validated against a DTO class (R-ERR-1). */
export const RpcBody = createParamDecorator((dto: new () => object, context: ExecutionContext) => {
  const data = context.switchToRpc().getData();
  if (data === MALFORMED_BODY) {
    throw new DomainError(ErrorCode.MALFORMED_REQUEST, { message: 'request body is not valid JSON' });
  }
  if (data === TOO_DEEP_BODY) throw new DomainError(ErrorCode.MALFORMED_REQUEST, { message: TOO_DEEP_MESSAGE });
  return validateDto(dto, data);
});
