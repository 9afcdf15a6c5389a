import { NatsConnection } from 'nats';
import { Events, EVENT_STREAM, Subjects } from '@vc/contracts';
import { rowCounts, sql, TestSystem } from '@vc/testing';
import { registryService } from '../../../apps/registry/src/registry.module';
import { newCreditCode } from '../../fixtures/credit-codes';
import { deltaOperator, enterprise, operatorOf, providerAccount, providerUnit } from '../../fixtures/principals';

const S = Subjects.registry;
let keys = 0;
const key = () => `k-${++keys}`;

describe('registry: services, complaints, credit records and exclusions (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let nc: NatsConnection;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(registryService);
    nc = sys.client.nc;
  });
  afterAll(async () => {
    await sys?.stop();
  });

  async function admit(creditCode = newCreditCode(), unitName = '测试中心') {
    return sys.client.ok(
      S.providerApply,
      { creditCode, legalName: '长三角测试研究院', unitName, kind: 'testing_centre', province: 'ZJ' },
      { principal: providerAccount(creditCode), idempotencyKey: key() },
    );
  }

  async function eligibility(providerId: string, programmeId = 'JS-2026') {
    return sys.client.ok(S.providerEligibility, { providerId, programmeId }, { principal: operatorOf('JS') });
  }

  /** Event subjects in the stream for one provider, in order. */
  async function eventsOf(providerId: string): Promise<string[]> {
    await new Promise((r) => setTimeout(r, 300));
    const rows = await sql(sys.db.url, `SELECT subject FROM registry.outbox WHERE aggregate_id = $1 ORDER BY id`, [providerId]);
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(EVENT_STREAM);
    expect(info.state.messages).toBeGreaterThan(0);
    const unpublished = await sql(sys.db.url, `SELECT count(*)::int AS n FROM registry.outbox WHERE published_at IS NULL`);
    expect(unpublished[0].n).toBe(0);
    return rows.map((r) => r.subject);
  }

  it('R-REG-2: an active provider publishes a priced service; a pending one cannot', async () => {
    const p = await admit();
    const offering = await sys.client.ok(
      S.serviceOfferingPublish,
      { providerId: p.id, category: 'testing', name: '材料成分检测', priceFen: 1234567, unit: '样品' },
      { principal: providerUnit(p.id), idempotencyKey: key() },
    );
    expect(offering).toMatchObject({ providerId: p.id, priceFen: 1234567 });

    const code = newCreditCode();
    const pending = await sys.client.ok(
      S.providerApply,
      { creditCode: code, legalName: '某检测公司', unitName: '总部', kind: 'testing_company', province: 'AH', qualificationDocuments: [{ name: 'CMA', reference: 'x' }] },
      { principal: providerAccount(code), idempotencyKey: key() },
    );
    const refused = await sys.client.call(
      S.serviceOfferingPublish,
      { providerId: pending.id, category: 'testing', name: 'x', priceFen: 100, unit: '次' },
      { principal: providerUnit(pending.id), idempotencyKey: key() },
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE', field: 'providerId' } });
  });

  it('R-REG-2: a provider never publishes for another provider (cross-tenant → NOT_FOUND)', async () => {
    const mine = await admit();
    const theirs = await admit();
    const reply = await sys.client.call(
      S.serviceOfferingPublish,
      { providerId: theirs.id, category: 'testing', name: 'x', priceFen: 100, unit: '次' },
      { principal: providerUnit(mine.id), idempotencyKey: key() },
    );
    expect(reply).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('R-REG-2: a programme excludes a provider from its own vouchers only; its operator alone decides', async () => {
    const p = await admit();
    const foreign = await sys.client.call(S.exclusionSet, { providerId: p.id, programmeId: 'JS-2026', reason: 'audit finding' }, { principal: operatorOf('ZJ'), idempotencyKey: key() });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', field: 'programmeId' } });

    await sys.client.ok(S.exclusionSet, { providerId: p.id, programmeId: 'JS-2026', reason: 'audit finding' }, { principal: operatorOf('JS'), idempotencyKey: key() });
    expect(await eligibility(p.id, 'JS-2026')).toMatchObject({ eligible: false, reason: 'PROVIDER_EXCLUDED' });
    expect(await eligibility(p.id, 'ZJ-2026')).toMatchObject({ eligible: true });

    await sys.client.ok(S.exclusionLift, { providerId: p.id, programmeId: 'JS-2026', reason: 'rectified' }, { principal: operatorOf('JS'), idempotencyKey: key() });
    expect(await eligibility(p.id, 'JS-2026')).toMatchObject({ eligible: true });
    expect(await eventsOf(p.id)).toEqual([Events.providerAdmitted, Events.providerExcluded, Events.providerExclusionLifted]);
  });

  it('R-REG-2..4: every provider event carries the whole state at a version one higher than the last, so a consumer keeps the newest', async () => {
    const code = newCreditCode();
    const p = await admit(code);
    await sys.client.ok(S.exclusionSet, { providerId: p.id, programmeId: 'SH-2026', reason: 'audit finding' }, { principal: operatorOf('SH'), idempotencyKey: key() });
    await sys.client.ok(S.exclusionSet, { providerId: p.id, programmeId: 'AH-2026', reason: 'audit finding' }, { principal: operatorOf('AH'), idempotencyKey: key() });
    await sys.client.ok(S.creditFile, { creditCode: code, severity: 'serious', reason: '虚假申报', effectiveFrom: '2026-01-01' }, { principal: operatorOf('JS'), idempotencyKey: key() });
    await sys.client.ok(S.exclusionLift, { providerId: p.id, programmeId: 'SH-2026', reason: 'rectified' }, { principal: operatorOf('SH'), idempotencyKey: key() });
    const events = await sql(
      sys.db.url,
      `SELECT subject, (envelope->'payload'->>'version')::int AS version, envelope->'payload'->'excludedProgrammes' AS excluded, (envelope->'payload'->>'suspended')::boolean AS suspended
         FROM registry.outbox WHERE aggregate_id = $1 ORDER BY id`,
      [p.id],
    );
    expect(events).toEqual([
      { subject: Events.providerAdmitted, version: 1, excluded: [], suspended: false },
      { subject: Events.providerExcluded, version: 2, excluded: ['SH-2026'], suspended: false },
      { subject: Events.providerExcluded, version: 3, excluded: ['AH-2026', 'SH-2026'], suspended: false },
      { subject: Events.providerSuspended, version: 4, excluded: ['AH-2026', 'SH-2026'], suspended: true },
      { subject: Events.providerExclusionLifted, version: 5, excluded: ['AH-2026'], suspended: true },
    ]);
  });

  it('R-REG-3: the third upheld complaint revokes the provider at once; dismissed ones do not count', async () => {
    const p = await admit();
    const complain = () =>
      sys.client.ok(S.complaintFile, { providerId: p.id, category: 'service_quality', description: '检测报告延误' }, { principal: enterprise('e-1'), idempotencyKey: key() });
    const decide = (complaintId: string, decision: string) =>
      sys.client.ok(S.complaintDecide, { complaintId, decision, reason: '经核实' }, { principal: operatorOf('ZJ'), idempotencyKey: key() });

    const dismissed = await complain();
    expect((await decide(dismissed.id, 'dismiss')).providerStatus).toBe('active');
    for (let i = 1; i <= 2; i++) expect((await decide((await complain()).id, 'uphold')).providerStatus).toBe('active');
    expect((await eligibility(p.id)).eligible).toBe(true);
    const third = await decide((await complain()).id, 'uphold');
    expect(third.providerStatus).toBe('revoked');
    expect(await eligibility(p.id)).toMatchObject({ eligible: false, reason: 'PROVIDER_NOT_ACTIVE' });
    const fourth = await decide((await complain()).id, 'uphold');
    expect(fourth.providerStatus).toBe('revoked');
    expect((await eventsOf(p.id)).filter((s) => s === Events.providerRevoked)).toHaveLength(1);
  });

  it('R-REG-3: concurrent upheld complaints still revoke exactly once', async () => {
    const p = await admit();
    const complaints = await Promise.all(
      [1, 2, 3, 4].map(() => sys.client.ok(S.complaintFile, { providerId: p.id, category: 'violation', description: '违规' }, { principal: enterprise('e-2'), idempotencyKey: key() })),
    );
    await Promise.all(
      complaints.map((c) => sys.client.ok(S.complaintDecide, { complaintId: c.id, decision: 'uphold', reason: '属实' }, { principal: deltaOperator, idempotencyKey: key() })),
    );
    const provider = await sys.client.ok(S.providerGet, { providerId: p.id }, { principal: deltaOperator });
    expect(provider).toMatchObject({ status: 'revoked', upheldComplaints: 4 });
    expect((await eventsOf(p.id)).filter((s) => s === Events.providerRevoked)).toHaveLength(1);
  });

  it('R-REG-4: a serious credit record filed by any province suspends every unit of the legal entity in every programme', async () => {
    const code = newCreditCode();
    const a = await admit(code, '化学学院');
    const b = await admit(code, '物理学院');
    const other = await admit();
    const record = await sys.client.ok(
      S.creditFile,
      { creditCode: code, severity: 'serious', reason: '虚假申报', effectiveFrom: '2026-01-01' },
      { principal: operatorOf('AH'), idempotencyKey: key() },
    );
    expect(record.suspendedUnits.sort()).toEqual([a.id, b.id].sort());
    for (const id of [a.id, b.id]) {
      for (const programme of ['SH-2026', 'JS-2026', 'ZJ-2026', 'AH-2026']) {
        expect(await eligibility(id, programme)).toMatchObject({ eligible: false, reason: 'PROVIDER_NOT_ACTIVE' });
      }
    }
    expect((await eligibility(other.id)).eligible).toBe(true);
    const suspended = await sys.client.ok(S.providerList, { status: 'suspended', creditCode: code }, { principal: deltaOperator });
    expect(suspended.total).toBe(2);
    expect(await eventsOf(a.id)).toEqual([Events.providerAdmitted, Events.providerSuspended]);
  });

  it('R-REG-4: a record is filed once in effect: one dated after today is refused and nothing is written', async () => {
    const code = newCreditCode();
    const p = await admit(code);
    const before = await rowCounts(sys.db.url, 'registry');
    const tomorrow = new Date(Date.now() + 8 * 3600_000 + 86400_000).toISOString().slice(0, 10);
    const future = await sys.client.call(
      S.creditFile,
      { creditCode: code, severity: 'serious', reason: '虚假申报', effectiveFrom: tomorrow },
      { principal: operatorOf('AH'), idempotencyKey: key() },
    );
    expect(future).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'effectiveFrom' } });
    expect(await rowCounts(sys.db.url, 'registry')).toEqual(before);
    expect((await eligibility(p.id)).eligible).toBe(true);
  });

  it('R-REG-4: a general record does not suspend; repair is refused before its period and needs the filing province', async () => {
    const code = newCreditCode();
    const p = await admit(code);
    const general = await sys.client.ok(
      S.creditFile,
      { creditCode: code, severity: 'general', reason: '逾期提交材料', effectiveFrom: '2026-06-01' },
      { principal: operatorOf('SH'), idempotencyKey: key() },
    );
    expect(general.suspendedUnits).toEqual([]);
    expect((await eligibility(p.id)).eligible).toBe(true);
    const early = await sys.client.call(S.creditRepair, { recordId: general.id, reason: '已整改' }, { principal: operatorOf('SH'), idempotencyKey: key() });
    expect(early).toMatchObject({ ok: false, error: { code: 'CREDIT_REPAIR_TOO_EARLY', details: { earliestRepairDate: '2027-06-01' } } });
    const foreign = await sys.client.call(S.creditRepair, { recordId: general.id, reason: '已整改' }, { principal: operatorOf('JS'), idempotencyKey: key() });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('R-REG-4: a suspension lifts only by an approved credit repair, never silently', async () => {
    const code = newCreditCode();
    const p = await admit(code);
    // an old serious record whose three years have passed and whose effective period has ended
    const record = await sys.client.ok(
      S.creditFile,
      { creditCode: code, severity: 'serious', reason: '骗取补贴', effectiveFrom: '2023-01-01', effectiveTo: '2025-12-31' },
      { principal: operatorOf('JS'), idempotencyKey: key() },
    );
    expect(await eligibility(p.id)).toMatchObject({ eligible: false });
    const repaired = await sys.client.ok(S.creditRepair, { recordId: record.id, reason: '信用修复已审核' }, { principal: operatorOf('JS'), idempotencyKey: key() });
    expect(repaired).toMatchObject({ status: 'repaired', reinstatedUnits: [p.id] });
    expect(await eligibility(p.id)).toMatchObject({ eligible: true });
    expect(await eventsOf(p.id)).toEqual([Events.providerAdmitted, Events.providerSuspended, Events.providerReinstated]);
  });

  it('R-AUDIT-1: every change is recorded with who and why; auditors read it, nobody rewrites it', async () => {
    const p = await admit();
    await sys.client.ok(S.exclusionSet, { providerId: p.id, programmeId: 'SH-2026', reason: '抽查不合格' }, { principal: operatorOf('SH'), idempotencyKey: key() });
    const page = await sys.client.ok(S.auditList, { entityType: 'provider', entityId: p.id }, { principal: { sub: 'aud', role: 'auditor' as never, org: 'AUDIT' } });
    expect(page.items.map((i: { action: string }) => i.action)).toEqual(['provider.admitted', 'provider.excluded']);
    expect(page.items[1]).toMatchObject({ principalSub: 'op-sh', principalRole: 'programme_operator', reason: '抽查不合格' });
    await expect(sql(sys.db.url, `UPDATE registry.audit_log SET reason = 'x'`)).rejects.toThrow(/append-only/);
    await expect(sql(sys.db.url, `DELETE FROM registry.audit_log`)).rejects.toThrow(/append-only/);
    await expect(sql(sys.db.url, `TRUNCATE registry.audit_log`)).rejects.toThrow(/append-only/);
    const denied = await sys.client.call(S.auditList, {}, { principal: enterprise('e-9') });
    expect(denied).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});
