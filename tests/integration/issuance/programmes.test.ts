import { Events, ProgrammeEvent, Subjects } from '@vc/contracts';
import { rowCounts, sql, TestSystem } from '@vc/testing';
import { issuanceService } from '../../../apps/issuance/src/issuance.module';
import { waitForEvents } from '../../fixtures/events';
import { approvedEnterprise, createRegion, DEFAULT_PARAMETERS, key, openProgramme } from '../../fixtures/issuance';
import { auditor, deltaOperator, enterprise, operatorOf, regionAdmin } from '../../fixtures/principals';

const S = Subjects.issuance;
const NOW = '2026-03-02T09:00:00+08:00';
const YEAR = 2026;

describe('issuance: programmes and their versions (real PostgreSQL + NATS)', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(issuanceService, { CLOCK_MODE: 'simulated', SIMULATED_NOW: NOW });
  });
  afterAll(async () => sys?.stop());

  const programmeEvents = (programmeId: string, count: number) =>
    waitForEvents<ProgrammeEvent>(sys.client.nc, [Events.programmeOpened, Events.programmeVersioned, Events.programmeClosed], (e) => e.payload.programmeId === programmeId, count);

  it('R-PROG-1: a draft is edited in place; once open, a change is a new version effective from then and version 1 stays as it was', async () => {
    const op = operatorOf('AH');
    const draft = await sys.client.ok(S.programmeCreate, { year: YEAR, ...DEFAULT_PARAMETERS }, { principal: op, idempotencyKey: key() });
    expect(draft).toMatchObject({ id: `AH-${YEAR}`, province: 'AH', year: YEAR, status: 'draft', version: 1, effectiveFrom: null });
    const edited = await sys.client.ok(S.programmeUpdate, { programmeId: draft.id, ...DEFAULT_PARAMETERS, offsetRateBp: 3000 }, { principal: op, idempotencyKey: key() });
    expect(edited).toMatchObject({ version: 1, offsetRateBp: 3000, status: 'draft' });

    const opened = await sys.client.ok(S.programmeOpen, { programmeId: draft.id }, { principal: op, idempotencyKey: key() });
    expect(opened).toMatchObject({ status: 'open', version: 1, offsetRateBp: 3000 });
    expect(Date.parse(opened.effectiveFrom)).toBeGreaterThanOrEqual(Date.parse(NOW));

    const change = { ...DEFAULT_PARAMETERS, offsetRateBp: 2000, annualCapFen: 8_000_000, mode: 'enterprise_reimbursed', budgetFen: 1_500_000_000 };
    const v2 = await sys.client.ok(S.programmeUpdate, { programmeId: draft.id, ...change }, { principal: op, idempotencyKey: key() });
    expect(v2).toMatchObject({ status: 'open', version: 2, offsetRateBp: 2000, annualCapFen: 8_000_000, mode: 'enterprise_reimbursed', budgetFen: 1_500_000_000 });
    expect(Date.parse(v2.effectiveFrom)).toBeGreaterThanOrEqual(Date.parse(opened.effectiveFrom));

    const full = await sys.client.ok(S.programmeGet, { programmeId: draft.id }, { principal: auditor });
    expect(full.versions).toEqual([
      expect.objectContaining({ version: 1, offsetRateBp: 3000, annualCapFen: 10_000_000, mode: 'provider_redeems', effectiveFrom: opened.effectiveFrom }),
      expect.objectContaining({ version: 2, offsetRateBp: 2000, annualCapFen: 8_000_000, mode: 'enterprise_reimbursed', effectiveFrom: v2.effectiveFrom }),
    ]);
  });

  it('R-PROG-1: programme.opened and programme.versioned carry every parameter of their version with its effectiveFrom (redemption records the version on each order from them)', async () => {
    const [opened, versioned] = await programmeEvents(`AH-${YEAR}`, 2);
    const common = { programmeId: `AH-${YEAR}`, province: 'AH', year: YEAR, status: 'open', publicityWorkingDays: 5, matchingDeadlineMonths: 3, rewardRateBp: 500, rewardCapFen: '50000000' };
    expect(opened.type).toBe(Events.programmeOpened);
    expect(opened.payload).toEqual({ ...common, version: 1, offsetRateBp: 3000, annualCapFen: '10000000', budgetFen: '1000000000', mode: 'provider_redeems', effectiveFrom: expect.any(String) });
    expect(versioned.type).toBe(Events.programmeVersioned);
    expect(versioned.payload).toEqual({ ...common, version: 2, offsetRateBp: 2000, annualCapFen: '8000000', budgetFen: '1500000000', mode: 'enterprise_reimbursed', effectiveFrom: expect.any(String) });
    expect(Date.parse(versioned.payload.effectiveFrom)).toBeGreaterThanOrEqual(Date.parse(opened.payload.effectiveFrom));
  });

  it('R-PROG-1 / R-LEDGER-1: the budget enters the ledger at open and with each increase; an open budget never shrinks, and a refused change writes nothing', async () => {
    const ledger = await sql(sys.db.url, `SELECT entry_type, amount_fen::text AS amount, ref FROM issuance.ledger_entries WHERE programme_id = $1 ORDER BY id`, [`AH-${YEAR}`]);
    expect(ledger).toEqual([
      { entry_type: 'budget_set', amount: '1000000000', ref: 'opened' },
      { entry_type: 'budget_set', amount: '500000000', ref: 'version 2' },
    ]);
    expect(await sql(sys.db.url, `SELECT budget_fen::text AS budget FROM issuance.ledger_programme_budget WHERE programme_id = $1`, [`AH-${YEAR}`])).toEqual([
      { budget: '1500000000' },
    ]);

    const before = await rowCounts(sys.db.url, 'issuance');
    const shrink = await sys.client.call(S.programmeUpdate, { programmeId: `AH-${YEAR}`, ...DEFAULT_PARAMETERS, budgetFen: 1_000_000_000 }, { principal: operatorOf('AH'), idempotencyKey: key() });
    expect(shrink).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'budgetFen', details: { currentBudgetFen: 1_500_000_000 } } });
    expect(await rowCounts(sys.db.url, 'issuance')).toEqual(before);
  });

  it('R-LEDGER-1: ledger entries are append-only', async () => {
    await expect(sql(sys.db.url, `UPDATE issuance.ledger_entries SET amount_fen = 1`)).rejects.toThrow(/append-only/);
    await expect(sql(sys.db.url, `DELETE FROM issuance.ledger_entries`)).rejects.toThrow(/append-only/);
  });

  it('R-PROG-1: the lifecycle is draft → open → closed; a closed programme is frozen and grants no more quota', async () => {
    const op = operatorOf('SH');
    await openProgramme(sys.client, 'SH', YEAR);
    const region = await createRegion(sys.client, 'SH', '张江科学城');
    const e = await approvedEnterprise(sys.client, region.id, 'SH', YEAR);
    expect((await sys.client.ok(S.quotaClaim, { enterpriseId: e.id, amountFen: 1_000 }, { principal: e.principal, idempotencyKey: key() })).claimedFen).toBe(1_000);

    expect(await sys.client.call(S.programmeOpen, { programmeId: `SH-${YEAR}` }, { principal: op, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'ILLEGAL_STATE', field: 'programmeId' },
    });
    const closed = await sys.client.ok(S.programmeClose, { programmeId: `SH-${YEAR}` }, { principal: op, idempotencyKey: key() });
    expect(closed).toMatchObject({ status: 'closed', version: 1 });
    expect(await sys.client.call(S.programmeUpdate, { programmeId: `SH-${YEAR}`, ...DEFAULT_PARAMETERS }, { principal: op, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'PROGRAMME_FROZEN', field: 'programmeId' },
    });
    expect(await sys.client.call(S.programmeClose, { programmeId: `SH-${YEAR}` }, { principal: op, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'ILLEGAL_STATE' },
    });
    expect(await sys.client.call(S.quotaClaim, { enterpriseId: e.id, amountFen: 1_000 }, { principal: e.principal, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'PROGRAMME_NOT_OPEN' },
    });
    const events = await programmeEvents(`SH-${YEAR}`, 2);
    expect(events.map((ev) => [ev.type, ev.payload.status])).toEqual([
      [Events.programmeOpened, 'open'],
      [Events.programmeClosed, 'closed'],
    ]);
  });

  it('R-PROG-1: one programme per province and year; a year that has ended cannot be opened', async () => {
    const op = operatorOf('JS');
    await sys.client.ok(S.programmeCreate, { year: YEAR, ...DEFAULT_PARAMETERS }, { principal: op, idempotencyKey: key() });
    expect(await sys.client.call(S.programmeCreate, { year: YEAR, ...DEFAULT_PARAMETERS }, { principal: op, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'ALREADY_EXISTS', field: 'year' },
    });
    const past = await sys.client.ok(S.programmeCreate, { year: YEAR - 1, ...DEFAULT_PARAMETERS }, { principal: op, idempotencyKey: key() });
    expect(await sys.client.call(S.programmeOpen, { programmeId: past.id }, { principal: op, idempotencyKey: key() })).toMatchObject({
      ok: false,
      error: { code: 'ILLEGAL_STATE', field: 'programmeId' },
    });
  });

  it('cross-tenant: an operator of JS cannot change, open or close a ZJ programme, and other roles run no programme; nothing is written', async () => {
    await sys.client.ok(S.programmeCreate, { year: YEAR, ...DEFAULT_PARAMETERS }, { principal: operatorOf('ZJ'), idempotencyKey: key() });
    const before = await rowCounts(sys.db.url, 'issuance');
    const js = operatorOf('JS');
    const zj = `ZJ-${YEAR}`;
    for (const [subject, body] of [
      [S.programmeUpdate, { programmeId: zj, ...DEFAULT_PARAMETERS, offsetRateBp: 5000 }],
      [S.programmeOpen, { programmeId: zj }],
      [S.programmeClose, { programmeId: zj }],
    ] as const) {
      expect(await sys.client.call(subject, body, { principal: js, idempotencyKey: key() })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', field: 'programmeId' } });
    }
    for (const principal of [auditor, deltaOperator, regionAdmin('00000000-0000-4000-8000-00000000000a', 'ZJ'), enterprise('00000000-0000-4000-8000-00000000000b', 'ZJ')]) {
      expect(await sys.client.call(S.programmeOpen, { programmeId: zj }, { principal, idempotencyKey: key() })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await sys.client.call(S.programmeCreate, { year: YEAR + 1, ...DEFAULT_PARAMETERS }, { principal, idempotencyKey: key() })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    }
    expect(await rowCounts(sys.db.url, 'issuance')).toEqual(before);
    expect((await sys.client.ok(S.programmeGet, { programmeId: zj }, { principal: operatorOf('ZJ') })).offsetRateBp).toBe(2500);
  });

  it('programmes are public: anyone reads and lists them by province and year', async () => {
    const listed = await sys.client.ok(S.programmeList, { year: YEAR }, { principal: enterprise('00000000-0000-4000-8000-00000000000c') });
    expect(listed.items.map((p: { id: string }) => p.id).sort()).toEqual([`AH-${YEAR}`, `JS-${YEAR}`, `SH-${YEAR}`, `ZJ-${YEAR}`]);
    const ah = await sys.client.ok(S.programmeList, { province: 'AH' }, { principal: auditor });
    expect(ah.items).toEqual([expect.objectContaining({ id: `AH-${YEAR}`, version: 2 })]);
    expect(await sys.client.call(S.programmeGet, { programmeId: `SH-1999` }, { principal: auditor })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});
