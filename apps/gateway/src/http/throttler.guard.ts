import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AuthedRequest } from './http-auth.guard';

/** Rate limit per authenticated principal (per address for public routes). */
@Injectable()
export class PrincipalThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const r = req as AuthedRequest;
    return r.principal ? `${r.principal.role}:${r.principal.org}:${r.principal.sub}` : `ip:${r.ip}`;
  }
}
