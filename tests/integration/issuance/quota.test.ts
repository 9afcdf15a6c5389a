import fc from 'fast-check';
import { Events, QuotaGrantedEvent, Subjects } from '@vc/contracts';
import { eventually, publishEvent, rowCounts, sql, TestSystem } from '@vc/testing';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { setClock, waitForEvents } from '../../fixtures/events';
import { approvedEnterprise, createRegion, DEFAULT_PARAMETERS, key, openProgramme } from '../../fixtures/issuance';
import { auditor, enterprise, operatorOf, regionAdmin } from '../../fixtures/principals';

const S = Subjects.issuance;
const YEAR = 2026;
const CAP = 10_000_000; // 100,000 yuan, the default cap

type Claimant = Awaited<ReturnType<typeof approvedEnterprise>>;

describe('issuance: quota claims under the annual cap (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let region: { id: string };

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(issuanceService, { CLOCK_MODE: 'simulated', SIMULATED_NOW: '2026-05-11T10:00:00+08:00' });
    await openProgramme(sys.client, 'JS', YEAR);
    region = await createRegion(sys.client, 'JS', '南京江北新区');
  });
  afterAll(async () => sys?.stop());

  const claim = (e: Claimant, amountFen: number | string, extra: Record<string, unknown> = {}, idempotencyKey = key()) =>
    sys.client.call(S.quotaClaim, { enterpriseId: e.id, amountFen, ...extra }, { principal: e.principal, idempotencyKey });
  const quotaRow = async (enterpriseId: string) =>
    (
      await sql(
        sys.db.url,
        `SELECT q.claimed_fen::text AS claimed, q.cap_fen::text AS cap,
                (SELECT COALESCE(sum(amount_fen), 0)::text FROM issuance.quota_claims c WHERE c.enterprise_id = q.enterprise_id) AS claims,
                (SELECT claimed_fen::text FROM issuance.ledger_enterprise_quota l WHERE l.enterprise_id = q.enterprise_id) AS ledger
           FROM issuance.quota_years q WHERE q.enterprise_id = $1`,
        [enterpriseId],
      )
    )[0];

  it('R-QUOTA-1: several claims up to the cap; a claim over the remaining cap is refused whole, with the remaining cap in the error, and writes nothing', async () => {
    const e = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    expect(await claim(e, 6_000_000)).toMatchObject({ ok: true, data: { claimedFen: 6_000_000, capFen: CAP, remainingCapFen: 4_000_000, programmeId: `JS-${YEAR}`, year: YEAR } });
    const before = await rowCounts(sys.db.url, 'issuance');
    expect(await claim(e, 4_000_001)).toMatchObject({
      ok: false,
      error: { code: 'QUOTA_CAP_EXCEEDED', field: 'amountFen', details: { remainingFen: 4_000_000, capFen: CAP } },
    });
    expect(await rowCounts(sys.db.url, 'issuance')).toEqual(before);
    expect(await claim(e, '4000000')).toMatchObject({ ok: true, data: { claimedFen: CAP, remainingCapFen: 0 } });
    expect(await claim(e, 1)).toMatchObject({ ok: false, error: { code: 'QUOTA_CAP_EXCEEDED', details: { remainingFen: 0 } } });
    expect(await quotaRow(e.id)).toEqual({ claimed: String(CAP), cap: String(CAP), claims: String(CAP), ledger: String(CAP) });
  });

  it('R-QUOTA-1: a first claim above the cap is refused whole too', async () => {
    const e = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    expect(await claim(e, CAP + 1)).toMatchObject({ ok: false, error: { code: 'QUOTA_CAP_EXCEEDED', details: { remainingFen: CAP } } });
    expect(await quotaRow(e.id)).toBeUndefined();
  });

  it('R-QUOTA-1: 50 parallel claims by one enterprise never exceed the cap in total', async () => {
    const e = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    const replies = await Promise.all(Array.from({ length: 50 }, () => claim(e, 300_000)));
    const accepted = replies.filter((r) => r.ok);
    expect(accepted).toHaveLength(33); // floor(10,000,000 / 300,000): first come, first served
    expect(replies.filter((r) => !r.ok).map((r) => !r.ok && r.error.code)).toEqual(Array(17).fill('QUOTA_CAP_EXCEEDED'));
    expect(await quotaRow(e.id)).toEqual({ claimed: '9900000', cap: String(CAP), claims: '9900000', ledger: '9900000' });
    const view = await sys.client.ok(S.quotaGet, { enterpriseId: e.id, year: YEAR }, { principal: e.principal });
    expect(view.years[0]).toMatchObject({ claimedFen: 9_900_000, remainingCapFen: 100_000 });
    expect(view.years[0].claims).toHaveLength(33);
  });

  it('R-QUOTA-1: 50 parallel claims of random sizes never pass the cap, and every refusal names what remained', async () => {
    const e = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    const amounts = fc.sample(fc.integer({ min: 1, max: 1_000_000 }), { numRuns: 50, seed: 4242 });
    const replies = await Promise.all(amounts.map((a) => claim(e, a)));
    const acceptedSum = replies.reduce((sum, r, i) => (r.ok ? sum + BigInt(amounts[i]) : sum), 0n);
    expect(acceptedSum <= BigInt(CAP)).toBe(true);
    expect((await quotaRow(e.id)).claimed).toBe(acceptedSum.toString());
    for (const [i, r] of replies.entries()) if (!r.ok) expect(BigInt(r.error.details!.remainingFen as number) < BigInt(amounts[i])).toBe(true);
  });

  it('a retried claim (same Idempotency-Key) returns the first reply and claims once; the key with another body is a conflict', async () => {
    const e = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    const replies = await Promise.all(Array.from({ length: 8 }, () => claim(e, 250_000, {}, 'retry-1')));
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(replies[0]).toMatchObject({ ok: true, data: { claimedFen: 250_000 } });
    expect(await claim(e, 250_001, {}, 'retry-1')).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_CONFLICT' } });
    expect((await quotaRow(e.id)).claimed).toBe('250000');
  });

  it('R-LEDGER-1: after randomized claims, per enterprise-year Σ accepted claims = claimed total = Σ ledger = Σ quota.granted events on the stream ≤ cap', async () => {
    const claimants = await Promise.all([1, 2, 3].map(() => approvedEnterprise(sys.client, region.id, 'JS', YEAR)));
    const accepted = new Map<string, bigint>(claimants.map((c) => [c.id, 0n]));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 2_500_000 })), { minLength: 5, maxLength: 25 }),
        async (ops) => {
          const replies = await Promise.all(ops.map(([who, amount]) => claim(claimants[who], amount)));
          replies.forEach((r, i) => {
            const [who, amount] = ops[i];
            if (r.ok) accepted.set(claimants[who].id, accepted.get(claimants[who].id)! + BigInt(amount));
            else expect(r.error.code).toBe('QUOTA_CAP_EXCEEDED');
          });
        },
      ),
      { numRuns: 10, seed: 20261122 },
    );
    const claimIds = (await sql(sys.db.url, `SELECT id FROM issuance.quota_claims WHERE enterprise_id = ANY($1::uuid[])`, [claimants.map((c) => c.id)])).map((r) => r.id);
    const granted = await waitForEvents<QuotaGrantedEvent>(sys.client.nc, [Events.quotaGranted], (ev) => claimIds.includes(ev.payload.claimId), claimIds.length);
    for (const c of claimants) {
      const row = await quotaRow(c.id);
      const events = granted.filter((ev) => ev.payload.enterpriseId === c.id);
      const grantedSum = events.reduce((s, ev) => s + BigInt(ev.payload.amountFen), 0n);
      expect({ claimed: row.claimed, claims: row.claims, ledger: row.ledger, granted: grantedSum.toString() }).toEqual({
        claimed: accepted.get(c.id)!.toString(),
        claims: accepted.get(c.id)!.toString(),
        ledger: accepted.get(c.id)!.toString(),
        granted: accepted.get(c.id)!.toString(),
      });
      expect(BigInt(row.claimed) <= BigInt(CAP)).toBe(true);
      expect(events.every((ev) => ev.payload.programmeId === `JS-${YEAR}` && ev.payload.year === YEAR)).toBe(true);
    }
  });

  it('R-PROG-1: a new version with another cap applies to later claims and never takes back earlier ones', async () => {
    await openProgramme(sys.client, 'ZJ', YEAR, { annualCapFen: 5_000_000 });
    const zjRegion = await createRegion(sys.client, 'ZJ', '杭州高新区');
    const e = await approvedEnterprise(sys.client, zjRegion.id, 'ZJ', YEAR);
    await claim(e, 4_000_000);
    const change = (annualCapFen: number) =>
      sys.client.ok(S.programmeUpdate, { programmeId: `ZJ-${YEAR}`, ...DEFAULT_PARAMETERS, annualCapFen }, { principal: operatorOf('ZJ'), idempotencyKey: key() });
    await change(3_000_000);
    expect(await claim(e, 1)).toMatchObject({ ok: false, error: { code: 'QUOTA_CAP_EXCEEDED', details: { remainingFen: 0, capFen: 3_000_000 } } });
    const lowered = await sys.client.ok(S.quotaGet, { enterpriseId: e.id }, { principal: e.principal });
    expect(lowered.years).toEqual([expect.objectContaining({ capFen: 3_000_000, claimedFen: 4_000_000, remainingCapFen: 0 })]);
    await change(6_000_000);
    expect(await claim(e, 2_000_000)).toMatchObject({ ok: true, data: { claimedFen: 6_000_000, capFen: 6_000_000, remainingCapFen: 0 } });
  });

  it('issuance.quota.get: claims and totals per year; the spendable balance is redemption’s (ADR 0003)', async () => {
    const e = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    const first = await claim(e, 1_000);
    await claim(e, 2_000);
    const view = await sys.client.ok(S.quotaGet, { enterpriseId: e.id }, { principal: e.principal });
    expect(view).toEqual({
      enterpriseId: e.id,
      spendableBalanceSubject: 'redemption.balance.get',
      years: [
        {
          year: YEAR,
          programmeId: `JS-${YEAR}`,
          capFen: CAP,
          claimedFen: 3_000,
          remainingCapFen: CAP - 3_000,
          lapsedFen: 0,
          validUntil: `${YEAR}-12-31T16:00:00.000Z`,
          claims: [
            { claimId: first.ok ? first.data.claimId : '', amountFen: 1_000, claimedAt: expect.any(String) },
            { claimId: expect.any(String), amountFen: 2_000, claimedAt: expect.any(String) },
          ],
        },
      ],
    });
    expect((await sys.client.ok(S.quotaGet, { enterpriseId: e.id, year: YEAR + 1 }, { principal: e.principal })).years).toEqual([]);
  });

  it('cross-tenant: an enterprise can neither see nor claim another’s quota; outsiders get NOT_FOUND, its region and province see it', async () => {
    const a = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    const b = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    const otherRegion = await createRegion(sys.client, 'JS', '常州武进区');
    const before = await rowCounts(sys.db.url, 'issuance');
    expect(await sys.client.call(S.quotaGet, { enterpriseId: b.id }, { principal: a.principal })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', field: 'enterpriseId' } });
    expect(await sys.client.call(S.quotaClaim, { enterpriseId: b.id, amountFen: 100 }, { principal: a.principal, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', field: 'enterpriseId' },
    });
    expect(await sys.client.call(S.quotaGet, { enterpriseId: b.id }, { principal: regionAdmin(otherRegion.id) })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sys.client.call(S.quotaGet, { enterpriseId: b.id }, { principal: operatorOf('ZJ') })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    for (const principal of [regionAdmin(region.id), operatorOf('JS'), auditor]) {
      expect(await sys.client.call(S.quotaClaim, { enterpriseId: b.id, amountFen: 100 }, { principal, idempotencyKey: key() })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(await rowCounts(sys.db.url, 'issuance')).toEqual(before);
    for (const principal of [regionAdmin(region.id), operatorOf('JS'), auditor, enterprise(b.creditCode)]) {
      expect(await sys.client.call(S.quotaGet, { enterpriseId: b.id }, { principal })).toMatchObject({ ok: true });
    }
  });

  it('R-QUOTA-2 / R-LEDGER-1: each lapse redemption reports is recorded on the enterprise-year and in the ledger (consumer of quota.lapsed)', async () => {
    const e = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    await claim(e, 5_000);
    const lapse = (amountFen: number) => publishEvent(sys, Events.quotaLapsed, e.id, { enterpriseId: e.id, programmeId: `JS-${YEAR}`, year: YEAR, amountFen });
    await lapse(3_000);
    await lapse(1_000);
    await eventually(async () => (await sys.client.ok(S.quotaGet, { enterpriseId: e.id }, { principal: e.principal })).years[0].lapsedFen === 4_000);
    expect(await sql(sys.db.url, `SELECT claimed_fen::text AS claimed, lapsed_fen::text AS lapsed FROM issuance.ledger_enterprise_quota WHERE enterprise_id = $1`, [e.id])).toEqual([
      { claimed: '5000', lapsed: '4000' },
    ]);
    const audit = await sql(sys.db.url, `SELECT principal_role AS role FROM issuance.audit_log WHERE action = 'quota.lapsed' AND entity_id = $1`, [e.id]);
    expect(audit).toEqual([{ role: 'service' }, { role: 'service' }]);
  });

  // Moves the simulated clock to the year end: keep last.
  it('R-QUOTA-2: quota is claimed for the current Shanghai year and valid until 24:00 of 31 December; at 00:00 Shanghai the year has changed', async () => {
    const e = await approvedEnterprise(sys.client, region.id, 'JS', YEAR);
    expect(await claim(e, 1_000, { year: YEAR + 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'year' } });

    await setClock(sys.client, 'issuance', '2026-12-31T23:59:00+08:00'); // 15:59 UTC
    expect(await claim(e, 1_000, { year: YEAR })).toMatchObject({ ok: true, data: { year: YEAR, validUntil: '2026-12-31T16:00:00.000Z' } });

    await setClock(sys.client, 'issuance', '2027-01-01T00:00:30+08:00'); // still 31 December in UTC
    expect(await claim(e, 1_000, { year: YEAR })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'year' } });
    expect(await claim(e, 1_000)).toMatchObject({ ok: false, error: { code: 'SME_REGISTRATION_MISSING' } });
    await sys.client.ok(S.enterpriseSetSme, { enterpriseId: e.id, year: YEAR + 1, registrationNumber: `${YEAR + 1}3201000777` }, { principal: e.principal, idempotencyKey: key() });
    expect(await claim(e, 1_000)).toMatchObject({ ok: false, error: { code: 'PROGRAMME_NOT_OPEN' } });

    const view = await sys.client.ok(S.quotaGet, { enterpriseId: e.id }, { principal: e.principal });
    expect(view.years.map((y: { year: number; claimedFen: number }) => [y.year, y.claimedFen])).toEqual([[YEAR, 1_000]]);
  });
});
