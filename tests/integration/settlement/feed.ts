import { randomUUID } from 'node:crypto';
import { INestApplication } from '@nestjs/common';
import { ClaimEvent, Events, ProgrammeEvent, RegionEvent } from '@vc/contracts';
import { Clock } from '@vc/platform';
import { copiesFresh, eventually, publishEvent, sql, TestSystem } from '@vc/testing';
import { newCreditCode } from '../../fixtures/credit-codes';

/**
 * Upstream services (issuance, redemption) are written concurrently: the settlement tests feed
 * programmes, regions and claims as EventEnvelopes published to JetStream, as those services
 * would, and wait until settlement's projection holds them.
 */
export type Province = 'SH' | 'JS' | 'ZJ' | 'AH';

export function programmeEvent(programmeId: string, overrides: Partial<ProgrammeEvent> = {}): ProgrammeEvent {
  return {
    programmeId,
    province: programmeId.slice(0, 2) as Province,
    year: Number(programmeId.slice(3)),
    version: 1,
    status: 'open',
    offsetRateBp: 2500,
    annualCapFen: '10000000',
    budgetFen: '1000000000',
    mode: 'provider_redeems',
    publicityWorkingDays: 5,
    matchingDeadlineMonths: 3,
    rewardRateBp: 500,
    rewardCapFen: '50000000',
    effectiveFrom: '2026-01-01T00:00:00+08:00',
    ...overrides,
  };
}

/** Systems whose settlement has read its copy of the programmes as fresh once. */
const vouched = new WeakSet<TestSystem>();

export async function feedProgramme(sys: TestSystem, programmeId: string, overrides: Partial<ProgrammeEvent> = {}): Promise<void> {
  // Issuance is not running: its heartbeats are sent for it, or settlement's copy of its programmes is never fresh
  await sys.events.keepFresh(['programmes']);
  if (!vouched.has(sys)) {
    await copiesFresh(sys.db.url, 'settlement', ['programmes']);
    vouched.add(sys);
  }
  await publishEvent(sys, Events.programmeOpened, programmeId, programmeEvent(programmeId, overrides));
  await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.programmes WHERE id = $1 AND version >= $2`, [programmeId, overrides.version ?? 1])).length > 0);
}

export async function feedRegion(sys: TestSystem, province: Province, matchingRatio = '1.00', name = `示范区-${randomUUID().slice(0, 6)}`): Promise<string> {
  const regionId = randomUUID();
  const payload: RegionEvent = { regionId, province, name, matchingRatio, status: 'active' };
  await publishEvent(sys, Events.regionRegistered, regionId, payload);
  await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.regions WHERE id = $1`, [regionId])).length > 0);
  return regionId;
}

export interface Provider {
  id: string;
  name: string;
  creditCode: string;
  province: string;
}

export function provider(province: string, name = `测试中心-${randomUUID().slice(0, 6)}`, creditCode = newCreditCode()): Provider {
  return { id: randomUUID(), name, creditCode, province };
}

export interface Enterprise {
  id: string;
  name: string;
  regionId: string;
}

export function enterpriseIn(regionId: string, name = `示范科技有限公司-${randomUUID().slice(0, 6)}`): Enterprise {
  return { id: randomUUID(), name, regionId };
}

let invoice = 0;

export function claim(programmeId: string, e: Enterprise, p: Provider, amountFen: number, submittedAt: string, overrides: Partial<ClaimEvent> = {}): ClaimEvent {
  return {
    claimId: randomUUID(),
    orderId: randomUUID(),
    programmeId,
    programmeVersion: 1,
    mode: 'provider_redeems',
    enterpriseId: e.id,
    enterpriseName: e.name,
    enterpriseRegionId: e.regionId,
    providerId: p.id,
    providerName: p.name,
    providerCreditCode: p.creditCode,
    providerProvince: p.province,
    payeeType: 'provider',
    payeeId: p.id,
    amountFen,
    voucherFen: Math.floor(amountFen / 4),
    invoiceNumber: `INV${Date.now()}${++invoice}`,
    submittedAt,
    status: 'pending_review',
    ...overrides,
  };
}

export async function feedClaims(sys: TestSystem, claims: ClaimEvent[]): Promise<void> {
  for (const c of claims) await publishEvent(sys, Events.claimSubmitted, c.claimId, c);
  const ids = claims.map((c) => c.claimId);
  await eventually(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.claims WHERE claim_id = ANY($1::uuid[])`, [ids]))[0].n === ids.length, 20000);
}

/** The business clock of an in-process service (CLOCK_MODE=simulated). */
export function setNow(app: INestApplication, instant: string): void {
  app.get(Clock).set(new Date(instant));
}

/**
 * Settlement alone, on claims fed as events, on a simulated clock. No redemption runs in these
 * suites, so disbursement does not confirm its payments with it (CONFIRM_PAYMENTS_WITH=none, a
 * test-only setting): that confirmation is proved where both services run
 * (tests/integration/settlement/confirm-payments.test.ts, tests/e2e).
 */
export const SIMULATED = { CLOCK_MODE: 'simulated' as const, SIMULATED_NOW: '2026-10-09T10:00:00+08:00', CONFIRM_PAYMENTS_WITH: 'none' as const };

let k = 0;
export const key = (prefix = 'k') => `${prefix}-${Date.now()}-${++k}`;

/** Outbox events of a subject for some claims (what redemption will consume). */
/** How many events of this kind settlement wrote to its outbox, optionally only for these aggregates. */
export async function outboxCount(sys: TestSystem, subject: string, aggregateIds?: string[]): Promise<number> {
  const [row] = await sql(
    sys.db.url,
    `SELECT count(*)::int AS n FROM settlement.outbox WHERE subject = $1 AND ($2::text[] IS NULL OR aggregate_id = ANY($2::text[]))`,
    [subject, aggregateIds ?? null],
  );
  return row.n;
}

/** How many claims settlement's decision events of this kind name (each event carries a chunk of claims), optionally only these. */
export async function claimEventCount(sys: TestSystem, subject: string, claimIds?: string[]): Promise<number> {
  const [row] = await sql(
    sys.db.url,
    `SELECT count(*)::int AS n FROM settlement.outbox o, jsonb_array_elements_text(o.envelope->'payload'->'claimIds') c(id)
      WHERE o.subject = $1 AND ($2::text[] IS NULL OR c.id = ANY($2::text[]))`,
    [subject, claimIds ?? null],
  );
  return row.n;
}
