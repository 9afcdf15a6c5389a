import { actsForEnterprise, actsForProvider } from '@vc/auth';
import { isUuid, Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';

/** The parties of an order or claim, as stored on it. */
export interface Parties {
  enterprise_id: string;
  enterprise_credit_code: string;
  provider_id: string;
  provider_credit_code: string;
  programme_id: string;
}

export type Party = 'provider' | 'enterprise';

export function partyOf(principal: Principal, row: Parties): Party | null {
  if (actsForProvider(principal, { id: row.provider_id, creditCode: row.provider_credit_code })) return 'provider';
  if (actsForEnterprise(principal, { id: row.enterprise_id, creditCode: row.enterprise_credit_code })) return 'enterprise';
  return null;
}

/** Answered as not found, so that ids of other organisations cannot be probed. */
export function assertParty(principal: Principal, row: Parties | undefined, field = 'orderId'): Party {
  const party = row ? partyOf(principal, row) : null;
  if (!party) throw new DomainError(ErrorCode.NOT_FOUND, { field });
  return party;
}

/** Readers beyond the parties: the programme's own operator, the delta desk, auditors, services. */
export function isOverseer(principal: Principal, programmeId: string): boolean {
  return (
    (principal.role === Role.ProgrammeOperator && !!principal.province && programmeId.startsWith(`${principal.province}-`)) ||
    principal.role === Role.DeltaOperator ||
    principal.role === Role.Auditor ||
    principal.role === Role.Service
  );
}

export function assertMayRead(principal: Principal, row: Parties | undefined, field = 'orderId'): void {
  if (!row || !(partyOf(principal, row) || isOverseer(principal, row.programme_id))) throw new DomainError(ErrorCode.NOT_FOUND, { field });
}

/**
 * SQL condition limiting orders or claims (alias `t`) to what the principal may see; parameters
 * are appended to `params`. Parties see their own; an operator its province; oversight all.
 * Each form is served by an index (id or credit code of the party; programme).
 */
export function readScope(principal: Principal, params: unknown[], t = 't'): string {
  const bind = (v: unknown) => `$${params.push(v)}`;
  switch (principal.role) {
    case Role.Enterprise:
      return isUuid(principal.org) ? `${t}.enterprise_id = ${bind(principal.org)}::uuid` : `${t}.enterprise_credit_code = ${bind(principal.org)}`;
    case Role.Provider:
      return isUuid(principal.org) ? `${t}.provider_id = ${bind(principal.org)}::uuid` : `${t}.provider_credit_code = ${bind(principal.org)}`;
    case Role.ProgrammeOperator:
      if (!principal.province) throw new DomainError(ErrorCode.FORBIDDEN, { message: 'operator token names no province' });
      return `${t}.programme_id IN (SELECT id FROM redemption.programmes WHERE province = ${bind(principal.province)})`;
    case Role.DeltaOperator:
    case Role.Auditor:
    case Role.Service:
      return 'true';
    default:
      throw new DomainError(ErrorCode.FORBIDDEN, { message: `role ${principal.role} may not read orders` });
  }
}
