import { Principal, Province, PROVINCES, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';

/** The keys an organisation is known by: its id, and its legal entity's unified social credit code. */
export interface OrganisationKeys {
  id: string;
  creditCode: string;
}

/**
 * A provider principal is either one unit (org = unit id) or the account of its legal entity
 * (org = credit code), which acts for every unit of that entity (the registry's rule). Redemption's
 * pay functions state the same in SQL (redemption.party_of,
 * pinned by tests/integration/redemption/party-of.parity.test.ts).
 */
export function actsForProvider(principal: Principal, provider: OrganisationKeys): boolean {
  return principal.role === Role.Provider && (principal.org === provider.id || principal.org === provider.creditCode);
}

/**
 * An enterprise principal is the enterprise itself: before registration its account carries the
 * credit code as org, afterwards tokens may carry the enterprise id; both are the same legal entity.
 */
export function actsForEnterprise(principal: Principal, enterprise: OrganisationKeys): boolean {
  return principal.role === Role.Enterprise && (principal.org === enterprise.id || principal.org === enterprise.creditCode);
}

/** Answered as not found, so that ids of other organisations cannot be probed. */
export function assertActsForProvider<T extends OrganisationKeys>(principal: Principal, provider: T | null | undefined, field = 'providerId'): asserts provider is T {
  if (!provider || !actsForProvider(principal, provider)) throw new DomainError(ErrorCode.NOT_FOUND, { field });
}

/** Answered as not found, so that ids of other organisations cannot be probed. */
export function assertActsForEnterprise<T extends OrganisationKeys>(principal: Principal, enterprise: T | null | undefined, field = 'enterpriseId'): asserts enterprise is T {
  if (!enterprise || !actsForEnterprise(principal, enterprise)) throw new DomainError(ErrorCode.NOT_FOUND, { field });
}

/**
 * The province a programme operator runs (its token's province, which is also its org); anyone
 * else may not run programmes, regions or settlement runs.
 */
export function operatorProvince(principal: Principal): Province {
  if (principal.role !== Role.ProgrammeOperator) throw new DomainError(ErrorCode.FORBIDDEN, { message: `role ${principal.role} may not do this` });
  const province = principal.province;
  if (!province || !(PROVINCES as readonly string[]).includes(province) || principal.org !== province) {
    throw new DomainError(ErrorCode.FORBIDDEN, { message: 'the operator token names no province of its own' });
  }
  return province;
}

/**
 * A programme operator acts for its own province only (SPEC 2). Programmes, regions and runs of
 * other provinces are refused with FORBIDDEN where their existence is public (programmes and
 * regions are reference data); a caller that must not reveal an object checks readability first.
 */
export function assertOperatorOf(principal: Principal, province: string, field: string): void {
  if (operatorProvince(principal) !== province) {
    throw new DomainError(ErrorCode.FORBIDDEN, { field, message: `an operator of ${principal.province} acts only for its own province, not ${province}` });
  }
}
