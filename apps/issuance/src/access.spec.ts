import { Principal, Role } from '@vc/contracts';
import { mayReadEnterprise } from './access';

const enterprise = { id: 'e-1', creditCode: '91320100MA1XXXXXX0', regionId: 'r-1', province: 'JS' };
const as = (role: Role, org: string, province?: Principal['province']): Principal => ({ sub: 's', role, org, province });

describe('issuance access rules (SPEC 2: a principal sees only its own organisation)', () => {
  it('a region admin reads only its region, an operator only its province', () => {
    expect(mayReadEnterprise(as(Role.RegionAdmin, 'r-1', 'JS'), enterprise)).toBe(true);
    expect(mayReadEnterprise(as(Role.RegionAdmin, 'r-2', 'JS'), enterprise)).toBe(false);
    expect(mayReadEnterprise(as(Role.ProgrammeOperator, 'JS', 'JS'), enterprise)).toBe(true);
    expect(mayReadEnterprise(as(Role.ProgrammeOperator, 'ZJ', 'ZJ'), enterprise)).toBe(false);
    expect(mayReadEnterprise(as(Role.Provider, 'p-1'), enterprise)).toBe(false);
    expect(mayReadEnterprise(as(Role.Auditor, 'AUDIT'), enterprise)).toBe(true);
  });
});
