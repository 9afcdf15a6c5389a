import { Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { actsForEnterprise, actsForProvider, assertActsForProvider, assertOperatorOf, operatorProvince } from './acts-for';

const as = (role: Role, org: string, province?: Principal['province']): Principal => ({ sub: 's', role, org, province });
const enterprise = { id: 'e-1', creditCode: '91320100MA1XXXXXX0' };
const unit = { id: 'p-1', creditCode: '91310000MA1YYYYYY0' };

describe('who acts for an organisation (SPEC 2: a principal sees only its own organisation)', () => {
  it('an enterprise acts for itself by id or by credit code, never for another, and no other role does', () => {
    expect(actsForEnterprise(as(Role.Enterprise, 'e-1'), enterprise)).toBe(true);
    expect(actsForEnterprise(as(Role.Enterprise, enterprise.creditCode), enterprise)).toBe(true);
    expect(actsForEnterprise(as(Role.Enterprise, 'e-2'), enterprise)).toBe(false);
    expect(actsForEnterprise(as(Role.Provider, 'e-1'), enterprise)).toBe(false);
  });

  it('a provider unit acts for itself; its legal entity account (credit code) for every unit of the entity', () => {
    expect(actsForProvider(as(Role.Provider, 'p-1'), unit)).toBe(true);
    expect(actsForProvider(as(Role.Provider, unit.creditCode), unit)).toBe(true);
    expect(actsForProvider(as(Role.Provider, 'p-2'), unit)).toBe(false);
    expect(actsForProvider(as(Role.Enterprise, 'p-1'), unit)).toBe(false);
  });

  it('another organisation, or none, is answered as not found (ids cannot be probed)', () => {
    expect(() => assertActsForProvider(as(Role.Provider, 'p-2'), unit)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_FOUND, field: 'providerId' }));
    expect(() => assertActsForProvider(as(Role.Provider, 'p-1'), null)).toThrow(DomainError);
    expect(() => assertActsForProvider(as(Role.Provider, 'p-1'), unit)).not.toThrow();
  });

  it('an operator runs only its own province, and only with a token whose org is that province', () => {
    expect(operatorProvince(as(Role.ProgrammeOperator, 'JS', 'JS'))).toBe('JS');
    expect(() => operatorProvince(as(Role.ProgrammeOperator, 'JS'))).toThrow(DomainError);
    expect(() => operatorProvince(as(Role.ProgrammeOperator, 'ZJ', 'JS'))).toThrow(DomainError);
    expect(() => operatorProvince(as(Role.DeltaOperator, 'DELTA'))).toThrow(DomainError);
    expect(() => assertOperatorOf(as(Role.ProgrammeOperator, 'JS', 'JS'), 'ZJ', 'programmeId')).toThrow(/only for its own province/);
    expect(() => assertOperatorOf(as(Role.ProgrammeOperator, 'JS', 'JS'), 'JS', 'programmeId')).not.toThrow();
  });
});
