import { actsForEnterprise } from '@vc/auth';
import { EnterpriseView, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';

type EnterpriseScope = Pick<EnterpriseView, 'id' | 'creditCode' | 'regionId' | 'province'>;

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
