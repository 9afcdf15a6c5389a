import { EnterpriseEvent, Events, RegionEvent, Subjects } from '@vc/contracts';
import { eventually, publishEvent, rowCounts, sql, TestSystem } from '@vc/testing';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { corruptCreditCode, newCreditCode } from '../../fixtures/credit-codes';
import { waitForEvents } from '../../fixtures/events';
import { approvedEnterprise, createRegion, key, openProgramme } from '../../fixtures/issuance';
import { auditor, enterprise, operatorOf, regionAdmin } from '../../fixtures/principals';

const S = Subjects.issuance;
const YEAR = 2026;

describe('issuance: linked regions and enterprises (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let suzhou: { id: string };
  let wuxi: { id: string };

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(issuanceService, { CLOCK_MODE: 'simulated', SIMULATED_NOW: '2026-04-20T10:00:00+08:00' });
    await openProgramme(sys.client, 'JS', YEAR);
    suzhou = await createRegion(sys.client, 'JS', '苏州工业园区');
    wuxi = await createRegion(sys.client, 'JS', '无锡高新区', '0.5');
  });
  afterAll(async () => sys?.stop());

  const register = (creditCode: string, regionId: string, province: 'JS' | 'ZJ' = 'JS', name = '苏州示范光电有限公司') =>
    sys.client.call(S.enterpriseRegister, { creditCode, name, regionId }, { principal: enterprise(creditCode, province), idempotencyKey: key() });
  const decide = (enterpriseId: string, regionId: string, decision: 'approve' | 'reject', reason?: string) =>
    sys.client.call(S.enterpriseDecide, { enterpriseId, decision, ...(reason ? { reason } : {}) }, { principal: regionAdmin(regionId), idempotencyKey: key() });

  it('linked regions keep an exact matching ratio (default 1.00) and a status; region.registered/updated carry it as a decimal string', async () => {
    expect(await sys.client.ok(S.regionGet, { regionId: suzhou.id }, { principal: operatorOf('JS') })).toMatchObject({ matchingRatio: '1.00', status: 'active', defaulting: false });
    expect(await sys.client.ok(S.regionGet, { regionId: wuxi.id }, { principal: operatorOf('JS') })).toMatchObject({ matchingRatio: '0.50' });
    const changed = await sys.client.ok(S.regionUpdate, { regionId: wuxi.id, matchingRatio: '1.2345', reason: '市政府追加配套' }, { principal: operatorOf('JS'), idempotencyKey: key() });
    expect(changed).toMatchObject({ matchingRatio: '1.2345', status: 'active' });
    const events = await waitForEvents<RegionEvent>(sys.client.nc, [Events.regionRegistered, Events.regionUpdated], (e) => e.payload.regionId === wuxi.id, 2);
    expect(events.map((e) => e.payload)).toEqual([
      { regionId: wuxi.id, province: 'JS', name: '无锡高新区', matchingRatio: '0.50', status: 'active', version: 1 },
      { regionId: wuxi.id, province: 'JS', name: '无锡高新区', matchingRatio: '1.2345', status: 'active', version: 2 },
    ]);
    for (const matchingRatio of ['0', '0.00', '1.5e0', '-1', '1.23456']) {
      const reply = await sys.client.call(S.regionCreate, { name: `坏比例区${matchingRatio}`, matchingRatio }, { principal: operatorOf('JS'), idempotencyKey: key() });
      expect([matchingRatio, reply]).toMatchObject([matchingRatio, { ok: false, error: { code: 'VALIDATION_FAILED', field: 'matchingRatio' } }]);
    }
  });

  it('regions belong to their province: an operator of ZJ cannot change a JS region; a region admin sees only its own region', async () => {
    expect(await sys.client.call(S.regionUpdate, { regionId: suzhou.id, status: 'withdrawn', reason: 'x' }, { principal: operatorOf('ZJ'), idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', field: 'regionId' },
    });
    expect(await sys.client.call(S.regionGet, { regionId: suzhou.id }, { principal: regionAdmin(wuxi.id) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const seen = await sys.client.ok(S.regionList, {}, { principal: regionAdmin(wuxi.id) });
    expect(seen.items.map((r: { id: string }) => r.id)).toEqual([wuxi.id]);
    const all = await sys.client.ok(S.regionList, { province: 'JS' }, { principal: enterprise(newCreditCode()) });
    expect(all.items.map((r: { id: string }) => r.id).sort()).toEqual([suzhou.id, wuxi.id].sort());
  });

  it('R-ENT-1: an enterprise registers once in its home province and region; the region admin rejects with a reason or approves', async () => {
    const code = newCreditCode();
    const registered = await register(code, suzhou.id);
    expect(registered).toMatchObject({ ok: true, data: { status: 'pending', province: 'JS', regionId: suzhou.id, creditCode: code, decisionReason: null } });
    const id = registered.ok ? registered.data.id : '';
    expect(await register(code, suzhou.id)).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS', field: 'creditCode' } });

    expect(await decide(id, suzhou.id, 'reject')).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'reason' } });
    expect(await decide(id, suzhou.id, 'reject', '不属于科技型中小企业')).toMatchObject({ ok: true, data: { status: 'rejected', decisionReason: '不属于科技型中小企业' } });
    expect(await decide(id, suzhou.id, 'approve')).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE' } });

    const other = newCreditCode();
    const second = await register(other, suzhou.id);
    const approved = await decide(second.ok ? second.data.id : '', suzhou.id, 'approve');
    expect(approved).toMatchObject({ ok: true, data: { status: 'approved', decisionReason: null } });

    const events = await waitForEvents<EnterpriseEvent>(sys.client.nc, [Events.enterpriseRegistered, Events.enterpriseRejected], (e) => e.payload.enterpriseId === id, 2);
    expect(events.map((e) => e.payload)).toEqual([
      { enterpriseId: id, creditCode: code, name: '苏州示范光电有限公司', province: 'JS', regionId: suzhou.id, status: 'pending', reason: null },
      { enterpriseId: id, creditCode: code, name: '苏州示范光电有限公司', province: 'JS', regionId: suzhou.id, status: 'rejected', reason: '不属于科技型中小企业' },
    ]);
  });

  it('R-ENT-1: an account registers only its own credit code, in a region of its home province', async () => {
    const code = newCreditCode();
    expect(
      await sys.client.call(S.enterpriseRegister, { creditCode: code, name: 'x', regionId: suzhou.id }, { principal: enterprise(newCreditCode()), idempotencyKey: key() }),
    ).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', field: 'creditCode' } });
    expect(await register(code, suzhou.id, 'ZJ')).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'regionId' } });
    expect(await register(code, '00000000-0000-4000-8000-000000000000')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'regionId' } });
  });

  it('cross-tenant: the admin of another region can neither decide, nor read, nor list an enterprise (NOT_FOUND), and writes nothing', async () => {
    const code = newCreditCode();
    const registered = await register(code, suzhou.id);
    const id = registered.ok ? registered.data.id : '';
    const before = await rowCounts(sys.db.url, 'issuance');
    expect(await decide(id, wuxi.id, 'approve')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'enterpriseId' } });
    expect(await sys.client.call(S.enterpriseGet, { enterpriseId: id }, { principal: regionAdmin(wuxi.id) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sys.client.call(S.enterpriseList, { regionId: suzhou.id }, { principal: regionAdmin(wuxi.id) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const wuxiList = await sys.client.ok(S.enterpriseList, {}, { principal: regionAdmin(wuxi.id) });
    expect(wuxiList.items.map((e: { id: string }) => e.id)).not.toContain(id);
    expect(await sys.client.call(S.enterpriseGet, { enterpriseId: id }, { principal: enterprise(newCreditCode()) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sys.client.call(S.enterpriseGet, { enterpriseId: id }, { principal: operatorOf('ZJ') })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await rowCounts(sys.db.url, 'issuance')).toEqual(before);

    const own = await sys.client.ok(S.enterpriseList, { status: 'pending' }, { principal: regionAdmin(suzhou.id) });
    expect(own.items.map((e: { id: string }) => e.id)).toContain(id);
    expect(own.items.every((e: { regionId: string }) => e.regionId === suzhou.id)).toBe(true);
    // the enterprise reads itself by id or through its credit-code account
    expect((await sys.client.ok(S.enterpriseGet, { enterpriseId: id }, { principal: enterprise(code) })).id).toBe(id);
    expect((await sys.client.ok(S.enterpriseGet, { enterpriseId: id }, { principal: enterprise(id) })).id).toBe(id);
  });

  it('R-ENT-1: an enterprise of a withdrawn region cannot be approved, and no enterprise registers there', async () => {
    const region = await createRegion(sys.client, 'JS', '退出示范区');
    const registered = await register(newCreditCode(), region.id);
    await sys.client.ok(S.regionUpdate, { regionId: region.id, status: 'withdrawn', reason: '地方财政退出联动' }, { principal: operatorOf('JS'), idempotencyKey: key() });
    expect(await decide(registered.ok ? registered.data.id : '', region.id, 'approve')).toMatchObject({ ok: false, error: { code: 'REGION_WITHDRAWN' } });
    expect(await register(newCreditCode(), region.id)).toMatchObject({ ok: false, error: { code: 'REGION_WITHDRAWN', field: 'regionId' } });
    // a rejection with a reason is still possible
    expect(await decide(registered.ok ? registered.data.id : '', region.id, 'reject', '地区已退出')).toMatchObject({ ok: true, data: { status: 'rejected' } });
  });

  it('R-ENT-1 / R-MATCH-1: a region settlement reports as defaulting cannot approve until it is reported caught up (consumer of region.defaulting / region.caught-up)', async () => {
    const region = await createRegion(sys.client, 'JS', '欠付示范区');
    const registered = await register(newCreditCode(), region.id);
    const id = registered.ok ? registered.data.id : '';
    const defaulting = () => sys.client.ok(S.regionGet, { regionId: region.id }, { principal: regionAdmin(region.id) }).then((r) => r.defaulting as boolean);

    await publishEvent(sys, Events.regionDefaulting, region.id, { regionId: region.id, overdueCount: 2, overdueFen: 120_000 });
    await eventually(defaulting);
    expect(await decide(id, region.id, 'approve')).toMatchObject({ ok: false, error: { code: 'REGION_DEFAULTING', field: 'enterpriseId' } });

    await publishEvent(sys, Events.regionCaughtUp, region.id, { regionId: region.id, overdueCount: 0, overdueFen: 0 });
    await eventually(async () => !(await defaulting()));
    expect(await decide(id, region.id, 'approve')).toMatchObject({ ok: true, data: { status: 'approved' } });

    const audit = await sql(sys.db.url, `SELECT action, principal_role AS role, reason FROM issuance.audit_log WHERE entity_type = 'region' AND entity_id = $1 ORDER BY id`, [region.id]);
    expect(audit).toEqual([
      { action: 'region.registered', role: 'programme_operator', reason: null },
      { action: 'region.defaulting', role: 'service', reason: '2 overdue matching payment(s), 120000 fen' },
      { action: 'region.caught-up', role: 'service', reason: 'matching payments caught up' },
    ]);
  });

  it('R-ENT-2: claiming in year Y needs the SME registration number for Y; a number belongs to one enterprise', async () => {
    const code = newCreditCode();
    const registered = await register(code, suzhou.id);
    const id = registered.ok ? registered.data.id : '';
    await decide(id, suzhou.id, 'approve');
    const me = enterprise(id);
    await sys.client.ok(S.enterpriseSetSme, { enterpriseId: id, year: YEAR - 1, registrationNumber: '20253201000123' }, { principal: me, idempotencyKey: key() });
    expect(await sys.client.call(S.quotaClaim, { enterpriseId: id, amountFen: 100_000 }, { principal: me, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'SME_REGISTRATION_MISSING', field: 'year' },
    });

    const other = await approvedEnterprise(sys.client, suzhou.id, 'JS', YEAR);
    const taken = other.smeNumber as string;
    expect(await sys.client.call(S.enterpriseSetSme, { enterpriseId: id, year: YEAR, registrationNumber: taken }, { principal: me, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_EXISTS', field: 'registrationNumber' },
    });
    expect(await sys.client.call(S.enterpriseSetSme, { enterpriseId: id, year: YEAR, registrationNumber: '20263201000123' }, { principal: regionAdmin(suzhou.id), idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });

    // the credit-code account files it as well as an id token would
    const filed = await sys.client.ok(S.enterpriseSetSme, { enterpriseId: id, year: YEAR, registrationNumber: '20263201000123' }, { principal: enterprise(code), idempotencyKey: key() });
    expect(filed.smeRegistrations).toEqual([
      { year: YEAR - 1, registrationNumber: '20253201000123' },
      { year: YEAR, registrationNumber: '20263201000123' },
    ]);
    expect((await sys.client.ok(S.quotaClaim, { enterpriseId: id, amountFen: 100_000 }, { principal: me, idempotencyKey: key() })).claimedFen).toBe(100_000);
  });

  it('R-ENT-1: a pending or rejected enterprise claims no quota', async () => {
    const registered = await register(newCreditCode(), suzhou.id);
    const id = registered.ok ? registered.data.id : '';
    await sys.client.ok(S.enterpriseSetSme, { enterpriseId: id, year: YEAR, registrationNumber: '20263201999999' }, { principal: enterprise(id), idempotencyKey: key() });
    expect(await sys.client.call(S.quotaClaim, { enterpriseId: id, amountFen: 100 }, { principal: enterprise(id), idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'ENTERPRISE_NOT_APPROVED' },
    });
  });

  it('R-AUDIT-1: registrations, decisions and SME numbers are in the audit log, readable by auditors only', async () => {
    const page = await sys.client.ok(S.auditList, { entityType: 'enterprise', limit: 500 }, { principal: auditor });
    const actions = new Set(page.items.map((i: { action: string }) => i.action));
    for (const action of ['enterprise.registered', 'enterprise.approved', 'enterprise.rejected', 'enterprise.sme-registered', 'quota.claimed']) expect(actions).toContain(action);
    const rejection = page.items.find((i: { action: string }) => i.action === 'enterprise.rejected');
    expect(rejection).toMatchObject({ principalRole: 'region_admin', reason: expect.any(String) });
    expect(await sys.client.call(S.auditList, {}, { principal: regionAdmin(suzhou.id) })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await sys.client.call(S.regionCreate, { name: '审计区' }, { principal: auditor, idempotencyKey: key() })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('R-ID-1: a credit code whose check character does not verify is refused naming the field', async () => {
    const bad = corruptCreditCode(newCreditCode());
    expect(await register(bad, suzhou.id)).toMatchObject({ ok: false, error: { code: 'INVALID_CREDIT_CODE', field: 'creditCode' } });
  });
});
