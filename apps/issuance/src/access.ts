import { EnterpriseView, Principal, Province, PROVINCES, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';

type EnterpriseKeys = Pick<EnterpriseView, 'id' | 'creditCode'>;
type EnterpriseScope = Pick<EnterpriseView, 'id' | 'creditCode' | 'regionId' | 'province'>;

/**
 * An enterprise principal is the enterprise itself: before registration its account carries the
 * credit code as org, afterwards tokens may carry the enterprise id; both are the same legal entity.
 */
export function actsForEnterprise(principal: Principal, enterprise: EnterpriseKeys): boolean {
  return principal.role === Role.Enterprise && (principal.org === enterprise.id || principal.org === enterprise.creditCode);
}

/** The enterprise itself, the admin of its region, an operator of its province, the desk, auditors and services. */
export function mayReadEnterprise(principal: Principal, enterprise: EnterpriseScope): boolean {
  switch (principal.role) {
    case Role.Enterprise:
      return actsForEnterprise(principal, enterprise);
    case Role.RegionAdmin:
      return principal.org === enterprise.regionId;
    case Role.ProgrammeOperator:
      return principal.province === enterprise.province;
    case Role.DeltaOperator:
    case Role.Auditor:
    case Role.Service:
      return true;
    default:
      return false;
  }
}

/** Answered as not-found, so that ids of other organisations cannot be probed. */
export function assertMayReadEnterprise(principal: Principal, enterprise: EnterpriseScope): void {
  if (!mayReadEnterprise(principal, enterprise)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'enterpriseId' });
}

/** The province a programme operator runs; anyone else may not run programmes or regions. */
export function operatorProvince(principal: Principal): Province {
  if (principal.role !== Role.ProgrammeOperator) throw new DomainError(ErrorCode.FORBIDDEN, { message: `role ${principal.role} may not do this` });
  const province = principal.province;
  if (!province || !(PROVINCES as readonly string[]).includes(province)) {
    throw new DomainError(ErrorCode.FORBIDDEN, { message: 'the operator token names no province' });
  }
  return province;
}

/**
 * A programme operator acts for its own province only. Programmes and regions are public
 * reference data, so refusing with FORBIDDEN (rather than NOT_FOUND) reveals nothing.
 */
export function assertOperatorOf(principal: Principal, province: string, field: string): void {
  if (operatorProvince(principal) !== province) {
    throw new DomainError(ErrorCode.FORBIDDEN, { field, message: `an operator of ${principal.province} acts only for its own province, not ${province}` });
  }
}
