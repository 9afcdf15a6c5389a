import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { PUBLIC_KEY, ROLES_KEY, TokenService } from '@vc/auth';
import { Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';

export type AuthedRequest = FastifyRequest & { principal?: Principal; bearer?: string };

/** Every HTTP request is one authenticated principal (except @Public routes). */
@Injectable()
export class HttpAuthGuard implements CanActivate {
  constructor(private readonly tokens: TokenService, private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    const header = req.headers.authorization;
    if (isPublic && !header) return true;
    const principal = await this.tokens.verifyHeader(header);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (roles && !roles.includes(principal.role)) throw new DomainError(ErrorCode.FORBIDDEN, { message: `role ${principal.role} may not do this` });
    req.principal = principal;
    req.bearer = header!.replace(/^Bearer\s+/i, '');
    return true;
  }
}
