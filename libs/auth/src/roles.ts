import { SetMetadata } from '@nestjs/common';
import { Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';

export const ROLES_KEY = 'vc:roles';
export const PUBLIC_KEY = 'vc:public';

/** Roles allowed to call a handler; object-level checks stay in the use case. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
/** A handler that needs no principal (health, the public publicity list). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export function requireRole(principal: Principal, ...roles: Role[]): void {
  if (!roles.includes(principal.role)) {
    throw new DomainError(ErrorCode.FORBIDDEN, { message: `role ${principal.role} may not do this` });
  }
}

/** Auditors read everything and change nothing. */
export function requireWriter(principal: Principal): void {
  if (principal.role === Role.Auditor) throw new DomainError(ErrorCode.FORBIDDEN, { message: 'auditors are read-only' });
}
