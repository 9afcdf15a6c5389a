import { Principal, Role } from '@vc/contracts';
import { Tx } from '@vc/database';
import { DomainError, ErrorCode } from '@vc/errors';
import { findRun, RunRow } from './runs';

/** Who may operate or read a run: a province's operator its own runs, the delta desk and auditors every run. */

/** A programme operator acts for its own province only (SPEC 2); auditors never change anything. */
export function assertOperatorOf(principal: Principal, province: string): void {
  if (principal.role !== Role.ProgrammeOperator) {
    throw new DomainError(ErrorCode.FORBIDDEN, { message: `role ${principal.role} may not do this` });
  }
  if (principal.province !== province || principal.org !== province) {
    throw new DomainError(ErrorCode.FORBIDDEN, { field: 'programmeId', message: `an operator of ${principal.org} acts only for its own province's programme` });
  }
}

/** Who may read a run: its province's operator, the delta desk, auditors. Others do not learn it exists. */
export function canReadProvince(principal: Principal, province: string): boolean {
  if (principal.role === Role.DeltaOperator || principal.role === Role.Auditor) return true;
  return principal.role === Role.ProgrammeOperator && principal.province === province && principal.org === province;
}

export function provinceOfProgramme(programmeId: string): string {
  return programmeId.slice(0, 2);
}

/** A run the principal may read, else NOT_FOUND (object-level check, OWASP API1). */
export async function readableRun(tx: Tx, principal: Principal, runId: string, lock = false): Promise<RunRow> {
  const run = await findRun(tx, runId, lock);
  if (!run || !canReadProvince(principal, run.province)) throw new DomainError(ErrorCode.NOT_FOUND, { field: 'runId', message: 'no such settlement run' });
  return run;
}

/** A run the principal operates: its own province's operator only. */
export async function operatedRun(tx: Tx, principal: Principal, runId: string, lock = false): Promise<RunRow> {
  const run = await findRun(tx, runId, lock);
  if (!run || (principal.role === Role.ProgrammeOperator && principal.province !== run.province)) {
    throw new DomainError(ErrorCode.NOT_FOUND, { field: 'runId', message: 'no such settlement run' });
  }
  assertOperatorOf(principal, run.province);
  return run;
}
