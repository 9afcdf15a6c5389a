import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AuthedRequest } from './http-auth.guard';

export const Req = createParamDecorator((_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<AuthedRequest>());
