import { createHash } from 'node:crypto';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AppConfig } from '@vc/config';
import { Principal, Role } from '@vc/contracts';
import { AuthedRequest } from './http-auth.guard';

/** The budgets of the rate limit: each kind of principal has its own (RATE_LIMIT_*_PER_MINUTE). */
export type RateBudget = 'anonymous' | 'enterprise' | 'provider' | 'operator';

export function budgetOf(principal: Principal | undefined): RateBudget {
  if (!principal) return 'anonymous';
  if (principal.role === Role.Enterprise) return 'enterprise';
  if (principal.role === Role.Provider) return 'provider';
  return 'operator';
}

/** Requests per minute of a budget. */
export function limitOf(config: AppConfig, budget: RateBudget): number {
  switch (budget) {
    case 'anonymous':
      return config.RATE_LIMIT_ANONYMOUS_PER_MINUTE ?? Math.max(1, Math.ceil(config.RATE_LIMIT_PER_MINUTE / 10));
    case 'enterprise':
      return config.RATE_LIMIT_ENTERPRISE_PER_MINUTE ?? config.RATE_LIMIT_PER_MINUTE;
    case 'provider':
      return config.RATE_LIMIT_PROVIDER_PER_MINUTE ?? config.RATE_LIMIT_PER_MINUTE;
    case 'operator':
      return config.RATE_LIMIT_OPERATOR_PER_MINUTE ?? config.RATE_LIMIT_PER_MINUTE;
  }
}

/**
 * Rate limit per authenticated principal, per client address for anonymous callers, each kind in
 * its own budget, over all routes together (one budget per principal, not one per route), counted
 * by every gateway instance together (NatsKvThrottlerStorage).
 */
@Injectable()
export class PrincipalThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const r = req as AuthedRequest;
    const budget = budgetOf(r.principal);
    return r.principal ? `${budget}:${r.principal.role}:${r.principal.org}:${r.principal.sub}` : `${budget}:ip:${r.ip}`;
  }

  /** One key per principal (or address) and throttler, whatever the route. */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return createHash('sha256').update(`${throttlerName}-${tracker}`).digest('hex');
  }
}
