import { Principal, ProviderView, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';

/**
 * A provider principal is either one unit (org = unit id) or the account of its legal entity
 * (org = credit code), which manages all of that entity's units.
 */
export function actsForProvider(principal: Principal, provider: Pick<ProviderView, 'id' | 'creditCode'>): boolean {
  return principal.role === Role.Provider && (principal.org === provider.id || principal.org === provider.creditCode);
}

export function assertActsForProvider(principal: Principal, provider: Pick<ProviderView, 'id' | 'creditCode'>): void {
  // Answered as not-found so that ids of other organisations cannot be probed.
  if (!actsForProvider(principal, provider)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'providerId' });
}
