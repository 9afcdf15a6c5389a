import fc from 'fast-check';
import { Events, Subjects } from '@vc/contracts';
import { eventually, publishEvent, rowCounts, sql, TestSystem } from '@vc/testing';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { corruptCreditCode, newCreditCode } from '../../fixtures/credit-codes';
import { approvedEnterprise, createRegion, DEFAULT_PARAMETERS, key, openProgramme } from '../../fixtures/issuance';
import { auditor, enterprise, operatorOf, regionAdmin } from '../../fixtures/principals';

const S = Subjects.issuance;
// The system clock is in 2026 (Asia/Shanghai); quota is claimed for the current year.
const YEAR = new Date(Date.now() + 8 * 3600_000).getUTCFullYear();

describe('issuance: programmes, regions, enterprises and quota (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let jsRegion: { id: string };

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(issuanceService);
    await openProgramme(sys.client, 'JS', YEAR);
    await openProgramme(sys.client, 'ZJ', YEAR, { annualCapFen: 5_000_000 });
    jsRegion = await createRegion(sys.client, 'JS', '苏州工业园区');
  });
  afterAll(async () => sys?.stop());

  const outboxSubjects = async (aggregateId: string) =>
    (await sql(sys.db.url, `SELECT subject FROM issuance.outbox WHERE aggregate_id = $1 ORDER BY id`, [aggregateId])).map((r) => r.subject);

  it('R-PROG-1: parameters are frozen once open; a change makes a new version effective from now', async () => {
    const op = operatorOf('AH');
    const draft = await sys.client.ok(S.programmeCreate, { year: YEAR, ...DEFAULT_PARAMETERS }, { principal: op, idempotencyKey: key() });
    expect(draft).toMatchObject({ id: `AH-${YEAR}`, status: 'draft', version: 1, offsetRateBp: 2500, annualCapFen: 10_000_000 });
    const edited = await sys.client.ok(S.programmeUpdate, { programmeId: draft.id, ...DEFAULT_PARAMETERS, offsetRateBp: 3000 }, { principal: op, idempotencyKey: key() });
    expect(edited).toMatchObject({ version: 1, offsetRateBp: 3000 });
    const opened = await sys.client.ok(S.programmeOpen, { programmeId: draft.id }, { principal: op, idempotencyKey: key() });
    expect(opened.effectiveFrom).toEqual(expect.any(String));

    const before = Date.now();
    const v2 = await sys.client.ok(S.programmeUpdate, { programmeId: draft.id, ...DEFAULT_PARAMETERS, offsetRateBp: 2000, budgetFen: 2_000_000_000 }, { principal: op, idempotencyKey: key() });
    expect(v2).toMatchObject({ version: 2, offsetRateBp: 2000, status: 'open' });
    expect(Date.parse(v2.effectiveFrom)).toBeGreaterThanOrEqual(before - 1000);
    const full = await sys.client.ok(S.programmeGet, { programmeId: draft.id }, { principal: auditor });
    expect(full.versions.map((v: { version: number; offsetRateBp: number }) => [v.version, v.offsetRateBp])).toEqual([
      [1, 3000],
      [2, 2000],
    ]);
    expect(await outboxSubjects(draft.id)).toEqual([Events.programmeOpened, Events.programmeVersioned]);
    const shrink = await sys.client.call(S.programmeUpdate, { programmeId: draft.id, ...DEFAULT_PARAMETERS, budgetFen: 1 }, { principal: op, idempotencyKey: key() });
    expect(shrink).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'budgetFen' } });
  });

  it('R-PROG-1: an operator acts only for its own province', async () => {
    const reply = await sys.client.call(S.programmeUpdate, { programmeId: `ZJ-${YEAR}`, ...DEFAULT_PARAMETERS }, { principal: operatorOf('JS'), idempotencyKey: key() });
    expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('R-ENT-1: the region admin approves or rejects with a reason; other regions cannot see or decide', async () => {
    const code = newCreditCode();
    const registered = await sys.client.ok(S.enterpriseRegister, { creditCode: code, name: '苏州示范光电', regionId: jsRegion.id }, { principal: enterprise(code), idempotencyKey: key() });
    expect(registered).toMatchObject({ status: 'pending', province: 'JS', regionId: jsRegion.id });

    const other = await createRegion(sys.client, 'JS', '无锡高新区');
    const foreign = await sys.client.call(S.enterpriseDecide, { enterpriseId: registered.id, decision: 'approve' }, { principal: regionAdmin(other.id), idempotencyKey: key() });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sys.client.call(S.enterpriseGet, { enterpriseId: registered.id }, { principal: regionAdmin(other.id) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const listed = await sys.client.ok(S.enterpriseList, {}, { principal: regionAdmin(other.id) });
    expect(listed.items.map((e: { id: string }) => e.id)).not.toContain(registered.id);

    const noReason = await sys.client.call(S.enterpriseDecide, { enterpriseId: registered.id, decision: 'reject' }, { principal: regionAdmin(jsRegion.id), idempotencyKey: key() });
    expect(noReason).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'reason' } });
    const rejected = await sys.client.ok(
      S.enterpriseDecide,
      { enterpriseId: registered.id, decision: 'reject', reason: '不属于科技型中小企业' },
      { principal: regionAdmin(jsRegion.id), idempotencyKey: key() },
    );
    expect(rejected).toMatchObject({ status: 'rejected', decisionReason: '不属于科技型中小企业' });
    expect(await outboxSubjects(registered.id)).toEqual([Events.enterpriseRegistered, Events.enterpriseRejected]);
  });

  it('R-ENT-1: an enterprise of a withdrawn region cannot be approved', async () => {
    const region = await createRegion(sys.client, 'JS', '退出示范区');
    const code = newCreditCode();
    const registered = await sys.client.ok(S.enterpriseRegister, { creditCode: code, name: '某企业', regionId: region.id }, { principal: enterprise(code), idempotencyKey: key() });
    await sys.client.ok(S.regionUpdate, { regionId: region.id, status: 'withdrawn', reason: '地方财政退出' }, { principal: operatorOf('JS'), idempotencyKey: key() });
    const reply = await sys.client.call(S.enterpriseDecide, { enterpriseId: registered.id, decision: 'approve' }, { principal: regionAdmin(region.id), idempotencyKey: key() });
    expect(reply).toMatchObject({ ok: false, error: { code: 'REGION_WITHDRAWN' } });
  });

  it('R-ENT-1 / R-MATCH-1: a region reported defaulting cannot approve until it catches up', async () => {
    const region = await createRegion(sys.client, 'JS', '欠付示范区');
    const code = newCreditCode();
    const registered = await sys.client.ok(S.enterpriseRegister, { creditCode: code, name: '某企业', regionId: region.id }, { principal: enterprise(code), idempotencyKey: key() });
    await publishEvent(sys.client.nc, Events.regionDefaulting, region.id, { regionId: region.id, overdueCount: 2, overdueFen: 100 });
    await eventually(async () => (await sys.client.ok(S.regionGet, { regionId: region.id }, { principal: operatorOf('JS') })).defaulting);
    const reply = await sys.client.call(S.enterpriseDecide, { enterpriseId: registered.id, decision: 'approve' }, { principal: regionAdmin(region.id), idempotencyKey: key() });
    expect(reply).toMatchObject({ ok: false, error: { code: 'REGION_DEFAULTING' } });
    await publishEvent(sys.client.nc, Events.regionCaughtUp, region.id, { regionId: region.id, overdueCount: 0, overdueFen: 0 });
    await eventually(async () => !(await sys.client.ok(S.regionGet, { regionId: region.id }, { principal: operatorOf('JS') })).defaulting);
    expect((await sys.client.ok(S.enterpriseDecide, { enterpriseId: registered.id, decision: 'approve' }, { principal: regionAdmin(region.id), idempotencyKey: key() })).status).toBe('approved');
  });

  it('R-ENT-2: claiming in year Y needs the SME registration number for Y', async () => {
    const code = newCreditCode();
    const registered = await sys.client.ok(S.enterpriseRegister, { creditCode: code, name: '无编号企业', regionId: jsRegion.id }, { principal: enterprise(code), idempotencyKey: key() });
    await sys.client.ok(S.enterpriseDecide, { enterpriseId: registered.id, decision: 'approve' }, { principal: regionAdmin(jsRegion.id), idempotencyKey: key() });
    const me = enterprise(registered.id);
    await sys.client.ok(S.enterpriseSetSme, { enterpriseId: registered.id, year: YEAR - 1, registrationNumber: '20253201000123' }, { principal: me, idempotencyKey: key() });
    const refused = await sys.client.call(S.quotaClaim, { enterpriseId: registered.id, amountFen: 100000 }, { principal: me, idempotencyKey: key() });
    expect(refused).toMatchObject({ ok: false, error: { code: 'SME_REGISTRATION_MISSING' } });
    await sys.client.ok(S.enterpriseSetSme, { enterpriseId: registered.id, year: YEAR, registrationNumber: '20263201000123' }, { principal: me, idempotencyKey: key() });
    expect((await sys.client.ok(S.quotaClaim, { enterpriseId: registered.id, amountFen: 100000 }, { principal: me, idempotencyKey: key() })).claimedFen).toBe(100000);
  });

  it('R-QUOTA-1: several claims up to the cap; a claim over the remaining cap is refused whole with the remaining cap', async () => {
    const e = await approvedEnterprise(sys.client, jsRegion.id, 'JS', YEAR);
    await sys.client.ok(S.quotaClaim, { enterpriseId: e.id, amountFen: 6_000_000 }, { principal: e.principal, idempotencyKey: key() });
    const over = await sys.client.call(S.quotaClaim, { enterpriseId: e.id, amountFen: 4_000_001 }, { principal: e.principal, idempotencyKey: key() });
    expect(over).toMatchObject({ ok: false, error: { code: 'QUOTA_CAP_EXCEEDED', field: 'amountFen', details: { remainingFen: '4000000' } } });
    const rest = await sys.client.ok(S.quotaClaim, { enterpriseId: e.id, amountFen: '4000000' }, { principal: e.principal, idempotencyKey: key() });
    expect(rest).toMatchObject({ claimedFen: 10_000_000, remainingCapFen: 0, capFen: 10_000_000 });
    expect(rest.claims).toHaveLength(2);
  });

  it('R-QUOTA-2: quota is valid to 24:00 of 31 December Asia/Shanghai, and only for the current year', async () => {
    const e = await approvedEnterprise(sys.client, jsRegion.id, 'JS', YEAR);
    const view = await sys.client.ok(S.quotaClaim, { enterpriseId: e.id, amountFen: 1000 }, { principal: e.principal, idempotencyKey: key() });
    expect(view.validUntil).toBe(`${YEAR}-12-31T16:00:00.000Z`);
    const next = await sys.client.call(S.quotaClaim, { enterpriseId: e.id, amountFen: 1000, year: YEAR + 1 }, { principal: e.principal, idempotencyKey: key() });
    expect(next).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'year' } });
  });

  it('R-QUOTA-1: 50 parallel claims by one enterprise never exceed the cap in total', async () => {
    const e = await approvedEnterprise(sys.client, jsRegion.id, 'JS', YEAR);
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => sys.client.call(S.quotaClaim, { enterpriseId: e.id, amountFen: 300_000 }, { principal: e.principal, idempotencyKey: `p-${i}` })),
    );
    const accepted = replies.filter((r) => r.ok).length;
    expect(accepted).toBe(33); // floor(10,000,000 / 300,000)
    expect(replies.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === 'QUOTA_CAP_EXCEEDED')).toBe(true);
    const [row] = await sql(sys.db.url, `SELECT claimed_fen::text AS c, (SELECT sum(amount_fen)::text FROM issuance.quota_claims WHERE enterprise_id = $1) AS s FROM issuance.quota_years WHERE enterprise_id = $1`, [e.id]);
    expect(row).toEqual({ c: '9900000', s: '9900000' });
  });

  it('R-LEDGER-1: after a randomized sequence of claims, claimed = Σ accepted claims = Σ quota.granted ≤ cap, per enterprise', async () => {
    const zjRegion = await createRegion(sys.client, 'ZJ', '杭州高新区');
    const enterprises = await Promise.all([1, 2, 3].map(() => approvedEnterprise(sys.client, zjRegion.id, 'ZJ', YEAR)));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2_500_000 })), { minLength: 5, maxLength: 25 }), async (ops) => {
        await Promise.all(
          ops.map(([who, amount]) =>
            sys.client.call(S.quotaClaim, { enterpriseId: enterprises[who].id, amountFen: amount }, { principal: enterprises[who].principal, idempotencyKey: key('r') }),
          ),
        );
      }),
      { numRuns: 8, seed: 20261122 },
    );
    for (const e of enterprises) {
      const [row] = await sql(
        sys.db.url,
        `SELECT q.claimed_fen::text AS claimed, q.cap_fen::text AS cap,
                (SELECT COALESCE(sum(amount_fen), 0)::text FROM issuance.quota_claims c WHERE c.enterprise_id = $1) AS claims,
                (SELECT COALESCE(sum(amount_fen), 0)::text FROM issuance.ledger_entries l WHERE l.enterprise_id = $1 AND entry_type = 'quota_claimed') AS ledger,
                (SELECT COALESCE(sum((envelope->'payload'->>'amountFen')::bigint), 0)::text FROM issuance.outbox o WHERE o.aggregate_id = $1::text AND o.subject = $2) AS granted
           FROM issuance.quota_years q WHERE q.enterprise_id = $1`,
        [e.id, Events.quotaGranted],
      );
      expect(row.claims).toBe(row.claimed);
      expect(row.ledger).toBe(row.claimed);
      expect(row.granted).toBe(row.claimed);
      expect(BigInt(row.claimed) <= BigInt(row.cap)).toBe(true);
      expect(row.cap).toBe('5000000');
    }
  });

  it('R-ERR-1: bad inputs get stable codes and fields and write nothing', async () => {
    const e = await approvedEnterprise(sys.client, jsRegion.id, 'JS', YEAR);
    const before = await rowCounts(sys.db.url, 'issuance');
    const cases: Array<[string, unknown, string, string?]> = [
      [S.quotaClaim, { enterpriseId: e.id, amountFen: 1.5 }, 'INVALID_AMOUNT', 'amountFen'],
      [S.quotaClaim, { enterpriseId: e.id, amountFen: -100 }, 'INVALID_AMOUNT', 'amountFen'],
      [S.quotaClaim, { enterpriseId: e.id, amountFen: '10e3' }, 'INVALID_AMOUNT', 'amountFen'],
      [S.quotaClaim, { enterpriseId: e.id }, 'INVALID_AMOUNT', 'amountFen'],
      [S.quotaClaim, { enterpriseId: 'not-a-uuid', amountFen: 100 }, 'VALIDATION_FAILED', 'enterpriseId'],
      [S.quotaClaim, { enterpriseId: '00000000-0000-4000-8000-000000000000', amountFen: 100 }, 'NOT_FOUND', 'enterpriseId'],
      [S.quotaClaim, { enterpriseId: e.id, amountFen: 100, extra: 1 }, 'VALIDATION_FAILED', 'extra'],
      [S.enterpriseRegister, { creditCode: corruptCreditCode(newCreditCode()), name: 'x', regionId: jsRegion.id }, 'INVALID_CREDIT_CODE', 'creditCode'],
    ];
    for (const [subject, body, code, field] of cases) {
      const reply = await sys.client.call(subject, body, { principal: e.principal, idempotencyKey: key('bad') });
      expect([subject, reply]).toMatchObject([subject, { ok: false, error: { code, ...(field ? { field } : {}) } }]);
    }
    expect(await rowCounts(sys.db.url, 'issuance')).toEqual(before);
  });

  it('an enterprise cannot see or claim for another enterprise (cross-tenant)', async () => {
    const a = await approvedEnterprise(sys.client, jsRegion.id, 'JS', YEAR);
    const b = await approvedEnterprise(sys.client, jsRegion.id, 'JS', YEAR);
    expect(await sys.client.call(S.quotaGet, { enterpriseId: b.id }, { principal: a.principal })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sys.client.call(S.quotaClaim, { enterpriseId: b.id, amountFen: 100 }, { principal: a.principal, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await sys.client.call(S.quotaGet, { enterpriseId: a.id }, { principal: regionAdmin(jsRegion.id) })).toMatchObject({ ok: true });
  });
});
