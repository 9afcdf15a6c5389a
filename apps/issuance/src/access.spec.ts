import { Principal, Role } from '@vc/contracts';
import { DomainError } from '@vc/errors';
import { actsForEnterprise, assertOperatorOf, mayReadEnterprise, operatorProvince } from './access';

const enterprise = { id: 'e-1', creditCode: '91320100MA1XXXXXX0', regionId: 'r-1', province: 'JS' };
const as = (role: Role, org: string, province?: Principal['province']): Principal => ({ sub: 's', role, org, province });

describe('issuance access rules (SPEC 2: a principal sees only its own organisation)', () => {
  it('an enterprise acts for itself by id or by credit code, never for another', () => {
    expect(actsForEnterprise(as(Role.Enterprise, 'e-1'), enterprise)).toBe(true);
    expect(actsForEnterprise(as(Role.Enterprise, enterprise.creditCode), enterprise)).toBe(true);
    expect(actsForEnterprise(as(Role.Enterprise, 'e-2'), enterprise)).toBe(false);
    expect(actsForEnterprise(as(Role.Provider, 'e-1'), enterprise)).toBe(false);
  });

  it('a region admin reads only its region, an operator only its province', () => {
    expect(mayReadEnterprise(as(Role.RegionAdmin, 'r-1', 'JS'), enterprise)).toBe(true);
    expect(mayReadEnterprise(as(Role.RegionAdmin, 'r-2', 'JS'), enterprise)).toBe(false);
    expect(mayReadEnterprise(as(Role.ProgrammeOperator, 'JS', 'JS'), enterprise)).toBe(true);
    expect(mayReadEnterprise(as(Role.ProgrammeOperator, 'ZJ', 'ZJ'), enterprise)).toBe(false);
    expect(mayReadEnterprise(as(Role.Provider, 'p-1'), enterprise)).toBe(false);
    expect(mayReadEnterprise(as(Role.Auditor, 'AUDIT'), enterprise)).toBe(true);
  });

  it('an operator runs only the programmes and regions of its own province', () => {
    expect(operatorProvince(as(Role.ProgrammeOperator, 'JS', 'JS'))).toBe('JS');
    expect(() => operatorProvince(as(Role.ProgrammeOperator, 'JS'))).toThrow(DomainError);
    expect(() => operatorProvince(as(Role.DeltaOperator, 'DELTA'))).toThrow(DomainError);
    expect(() => assertOperatorOf(as(Role.ProgrammeOperator, 'JS', 'JS'), 'ZJ', 'programmeId')).toThrow(/only for its own province/);
  });
});
