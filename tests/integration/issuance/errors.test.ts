import { Subjects } from '@vc/contracts';
import { rowCounts, TestSystem } from '@vc/testing';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { corruptCreditCode, newCreditCode } from '../../fixtures/credit-codes';
import { approvedEnterprise, createRegion, DEFAULT_PARAMETERS, key, openProgramme } from '../../fixtures/issuance';
import { auditor, enterprise, operatorOf, regionAdmin } from '../../fixtures/principals';

const S = Subjects.issuance;
const YEAR = 2026;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const TOO_MUCH = '1000000000001'; // 10^12 + 1 fen

describe('issuance: bad input gets a stable code and the field, and writes nothing (R-ERR-1)', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(issuanceService, { CLOCK_MODE: 'simulated', SIMULATED_NOW: '2026-07-01T09:00:00+08:00' });
  });
  afterAll(async () => sys?.stop());

  it('R-ERR-1: wrong types, missing fields, invalid credit codes, negative or fractional fen, unknown ids and wrong states on every subject', async () => {
    await openProgramme(sys.client, 'JS', YEAR);
    const region = await createRegion(sys.client, 'JS', '昆山开发区');
    const e = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    const pending = newCreditCode();
    const registered = await sys.client.ok(S.enterpriseRegister, { creditCode: pending, name: '待审企业', regionId: region.id }, { principal: enterprise(pending), idempotencyKey: key() });
    await sys.client.ok(S.enterpriseDecide, { enterpriseId: registered.id, decision: 'reject', reason: '材料不全' }, { principal: regionAdmin(region.id), idempotencyKey: key() });
    const op = operatorOf('JS');
    const programme = { year: YEAR + 1, ...DEFAULT_PARAMETERS };
    const bad = corruptCreditCode(newCreditCode());

    const cases: Array<[string, string, unknown, typeof op, string, string?]> = [
      ['fractional rate', S.programmeCreate, { ...programme, offsetRateBp: 25.5 }, op, 'VALIDATION_FAILED', 'offsetRateBp'],
      ['reward above 5 %', S.programmeCreate, { ...programme, rewardRateBp: 501 }, op, 'VALIDATION_FAILED', 'rewardRateBp'],
      ['fractional fen', S.programmeCreate, { ...programme, budgetFen: 1.5 }, op, 'INVALID_AMOUNT', 'budgetFen'],
      ['negative fen', S.programmeCreate, { ...programme, annualCapFen: -1 }, op, 'INVALID_AMOUNT', 'annualCapFen'],
      ['fen above 10^12', S.programmeCreate, { ...programme, budgetFen: TOO_MUCH }, op, 'INVALID_AMOUNT', 'budgetFen'],
      ['missing cap', S.programmeCreate, { ...programme, annualCapFen: undefined }, op, 'INVALID_AMOUNT', 'annualCapFen'],
      ['unknown mode', S.programmeCreate, { ...programme, mode: 'cash' }, op, 'VALIDATION_FAILED', 'mode'],
      ['year as text', S.programmeCreate, { ...programme, year: '2027' }, op, 'VALIDATION_FAILED', 'year'],
      ['unknown field', S.programmeCreate, { ...programme, approvedBy: 'me' }, op, 'VALIDATION_FAILED', 'approvedBy'],
      ['malformed programme id', S.programmeUpdate, { programmeId: 'JS2026', ...DEFAULT_PARAMETERS }, op, 'VALIDATION_FAILED', 'programmeId'],
      ['unknown programme', S.programmeUpdate, { programmeId: 'JS-2031', ...DEFAULT_PARAMETERS }, op, 'NOT_FOUND', 'programmeId'],
      ['programme already open', S.programmeOpen, { programmeId: `JS-${YEAR}` }, op, 'ILLEGAL_STATE', 'programmeId'],
      ['ratio as a float', S.regionCreate, { name: '浮点区', matchingRatio: 1.0 }, op, 'VALIDATION_FAILED', 'matchingRatio'],
      ['empty region name', S.regionCreate, { name: '' }, op, 'VALIDATION_FAILED', 'name'],
      ['duplicate region name', S.regionCreate, { name: '昆山开发区' }, op, 'ALREADY_EXISTS', 'name'],
      ['region id not a uuid', S.regionUpdate, { regionId: 'r-1', status: 'withdrawn', reason: 'x' }, op, 'VALIDATION_FAILED', 'regionId'],
      ['unknown region', S.regionUpdate, { regionId: UNKNOWN, status: 'withdrawn', reason: 'x' }, op, 'NOT_FOUND', 'regionId'],
      ['region update without a reason', S.regionUpdate, { regionId: region.id, status: 'withdrawn' }, op, 'VALIDATION_FAILED', 'reason'],
      ['region update changing nothing', S.regionUpdate, { regionId: region.id, reason: 'x' }, op, 'VALIDATION_FAILED', 'status'],
      ['invalid credit code', S.enterpriseRegister, { creditCode: bad, name: 'x', regionId: region.id }, enterprise(bad), 'INVALID_CREDIT_CODE', 'creditCode'],
      ['missing region', S.enterpriseRegister, { creditCode: pending, name: 'x' }, enterprise(pending), 'VALIDATION_FAILED', 'regionId'],
      ['unknown decision', S.enterpriseDecide, { enterpriseId: e.id, decision: 'maybe' }, regionAdmin(region.id), 'VALIDATION_FAILED', 'decision'],
      ['decided twice', S.enterpriseDecide, { enterpriseId: e.id, decision: 'approve' }, regionAdmin(region.id), 'ILLEGAL_STATE', 'enterpriseId'],
      ['malformed SME number', S.enterpriseSetSme, { enterpriseId: e.id, year: YEAR, registrationNumber: 'abc' }, e.principal, 'VALIDATION_FAILED', 'registrationNumber'],
      ['SME year out of range', S.enterpriseSetSme, { enterpriseId: e.id, year: 1999, registrationNumber: '19993201000001' }, e.principal, 'VALIDATION_FAILED', 'year'],
      ['fractional claim', S.quotaClaim, { enterpriseId: e.id, amountFen: 1.5 }, e.principal, 'INVALID_AMOUNT', 'amountFen'],
      ['negative claim', S.quotaClaim, { enterpriseId: e.id, amountFen: -100 }, e.principal, 'INVALID_AMOUNT', 'amountFen'],
      ['zero claim', S.quotaClaim, { enterpriseId: e.id, amountFen: 0 }, e.principal, 'INVALID_AMOUNT', 'amountFen'],
      ['exponent claim', S.quotaClaim, { enterpriseId: e.id, amountFen: '10e3' }, e.principal, 'INVALID_AMOUNT', 'amountFen'],
      ['claim above 10^12', S.quotaClaim, { enterpriseId: e.id, amountFen: TOO_MUCH }, e.principal, 'INVALID_AMOUNT', 'amountFen'],
      ['missing amount', S.quotaClaim, { enterpriseId: e.id }, e.principal, 'INVALID_AMOUNT', 'amountFen'],
      ['enterprise id not a uuid', S.quotaClaim, { enterpriseId: 'e-1', amountFen: 100 }, e.principal, 'VALIDATION_FAILED', 'enterpriseId'],
      ['unknown enterprise', S.quotaClaim, { enterpriseId: UNKNOWN, amountFen: 100 }, enterprise(UNKNOWN), 'NOT_FOUND', 'enterpriseId'],
      ['rejected enterprise claims', S.quotaClaim, { enterpriseId: registered.id, amountFen: 100 }, enterprise(registered.id), 'ENTERPRISE_NOT_APPROVED', 'enterpriseId'],
      ['claim over the cap', S.quotaClaim, { enterpriseId: e.id, amountFen: 10_000_001 }, e.principal, 'QUOTA_CAP_EXCEEDED', 'amountFen'],
      ['auditors change nothing', S.regionCreate, { name: '审计区' }, auditor, 'FORBIDDEN'],
    ];

    const before = await rowCounts(sys.db.url, 'issuance');
    const mismatches: string[] = [];
    for (const [name, subject, body, principal, code, field] of cases) {
      const reply = await sys.client.call(subject, body, { principal, idempotencyKey: key('bad') });
      const got = reply.ok ? 'ok' : `${reply.error.code}${reply.error.field ? `:${reply.error.field}` : ''}`;
      const want = `${code}${field ? `:${field}` : ''}`;
      if (got !== want) mismatches.push(`${name}: expected ${want}, got ${got}`);
      if (!reply.ok) expect(reply.error.message).toEqual(expect.any(String));
    }
    expect(mismatches).toEqual([]);
    expect(await rowCounts(sys.db.url, 'issuance')).toEqual(before);
  });

  it('R-ERR-1: malformed JSON, a missing idempotency key and a missing token are refused before anything is written', async () => {
    const before = await rowCounts(sys.db.url, 'issuance');
    const op = operatorOf('ZJ');
    expect(await sys.client.call(S.regionCreate, null, { principal: op, raw: '{"name":', idempotencyKey: key() })).toMatchObject({ ok: false, error: { code: 'MALFORMED_REQUEST' } });
    expect(await sys.client.call(S.regionCreate, { name: '无键区' }, { principal: op })).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_KEY_REQUIRED', field: 'Idempotency-Key' } });
    expect(await sys.client.call(S.regionCreate, { name: '无令牌区' }, { idempotencyKey: key() })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(await rowCounts(sys.db.url, 'issuance')).toEqual(before);
  });
});
