import { Client } from 'pg';
import { Events } from '@vc/contracts';
import { eventually, publishEvent, sql, TestSystem } from '@vc/testing';
import { runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, provider, SIMULATED } from './feed';

/**
 * The projection applies a claim's events in whatever order they arrive and however they overlap.
 *
 * R-CLAIM-2: a flag on a claim (a second claim with the same invoice) is never lost, whichever of
 * the two events the projection handles first, and however they overlap. Here the claim's
 * submission has read "no flag yet" and is held inside its INSERT (another transaction holds the
 * same claim id, uncommitted) while the flag arrives: the flag must wait for the submission, then
 * find the claim and mark it. (Without the claim's lock the flag found no claim, the submission
 * committed it unflagged, and the claim would have been approved without inspection.)
 */
jest.setTimeout(60_000);

describe('settlement: claim events out of order or overlapping (R-CLAIM-2, R-CLAIM-3)', () => {
  let sys: TestSystem;
  let blocker: Client;

  beforeAll(async () => {
    sys = await TestSystem.start();
    await sys.startService(settlementService, SIMULATED);
    await feedProgramme(sys, 'SH-2026');
    blocker = new Client({ connectionString: sys.db.url });
    await blocker.connect();
  });
  afterAll(async () => {
    await blocker?.end();
    await sys?.stop();
  });

  it('R-CLAIM-2: the flag waits for the submission under way, then marks the claim', async () => {
    const region = await feedRegion(sys, 'SH');
    const c = claim('SH-2026', enterpriseIn(region), provider('SH'), 400_000, '2026-09-10T09:00:00+08:00');
    // An uncommitted row with the claim's id: the submission's INSERT evaluates its flag, then waits on it.
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO settlement.claims (claim_id, order_id, programme_id, programme_version, mode, enterprise_id, enterprise_name, region_id, provider_id,
         provider_name, provider_credit_code, provider_province, payee_type, payee_id, amount_fen, voucher_fen, invoice_number, submitted_at)
       VALUES ($1, $2, 'SH-2026', 1, 'provider_redeems', $3, 'x', $4, $5, 'x', 'x', 'SH', 'provider', $5, 400000, 100000, 'x', now())`,
      [c.claimId, c.orderId, c.enterpriseId, c.enterpriseRegionId, c.providerId],
    );
    await publishEvent(sys, Events.claimSubmitted, c.claimId, c);
    const waitingInsert = async () =>
      (await sql(sys.db.url, `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO settlement.claims%'`)).length > 0;
    await eventually(waitingInsert, 20_000);
    await publishEvent(sys, Events.claimFlagged, c.orderId, {
      flagId: '00000000-0000-4000-8000-0000000f1a90',
      invoiceNumber: c.invoiceNumber,
      orderId: '00000000-0000-4000-8000-000000000002',
      programmeId: 'SH-2026',
      enterpriseId: c.enterpriseId,
      providerId: c.providerId,
      existingClaimId: c.claimId,
      existingOrderId: c.orderId,
      existingProgrammeId: 'SH-2026',
      flaggedAt: '2026-09-11T10:00:00+08:00',
    });
    // The flag's handler is under way: either waiting for the claim's lock, or (without it) done.
    await eventually(
      async () =>
        (await sql(sys.db.url, `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).length > 0 ||
        (await sql(sys.db.url, `SELECT 1 FROM settlement.claim_flags WHERE claim_id = $1`, [c.claimId])).length > 0,
      20_000,
    );
    await blocker.query('ROLLBACK');
    await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.claim_flags WHERE claim_id = $1`, [c.claimId])).length > 0, 20_000);
    const flagged = async () => (await sql(sys.db.url, `SELECT flagged FROM settlement.claims WHERE claim_id = $1`, [c.claimId]))[0]?.flagged === true;
    await eventually(flagged, 10_000).catch(() => undefined);
    expect(await sql(sys.db.url, `SELECT invoice_number, flagged FROM settlement.claims WHERE claim_id = $1`, [c.claimId])).toEqual([
      { invoice_number: c.invoiceNumber, flagged: true },
    ]);
  });

  it('R-CLAIM-2, R-LEDGER-1: the ledger check names a claim whose recorded flag was not applied', async () => {
    const check = async () => (await runLedgerChecks(sys.db.url)).find((r) => r.name.startsWith('flags applied'))!;
    expect((await check()).status).toBe('ok');
    const [flag] = await sql(sys.db.url, `SELECT claim_id FROM settlement.claim_flags LIMIT 1`);
    await sql(sys.db.url, `UPDATE settlement.claims SET flagged = false WHERE claim_id = $1`, [flag.claim_id]);
    try {
      expect(await check()).toMatchObject({ status: 'differs', differences: [{ claim: flag.claim_id, flags: 1 }] });
    } finally {
      await sql(sys.db.url, `UPDATE settlement.claims SET flagged = true WHERE claim_id = $1`, [flag.claim_id]);
    }
    expect((await check()).status).toBe('ok');
  });

  it('R-CLAIM-3: an amendment older than the claim\'s revision, arriving late, changes nothing', async () => {
    const region = await feedRegion(sys, 'SH');
    const c = claim('SH-2026', enterpriseIn(region), provider('SH'), 400_000, '2026-09-12T09:00:00+08:00');
    await feedClaims(sys, [c]);
    const handled = async (eventId: string) =>
      eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.processed_events WHERE event_id = $1`, [eventId])).length > 0, 20_000);
    const held = async () => (await sql(sys.db.url, `SELECT invoice_number, revision FROM settlement.claims WHERE claim_id = $1`, [c.claimId]))[0];
    // the second amendment (revision 3) is delivered before the first (revision 2)
    await handled(await publishEvent(sys, Events.claimAmended, c.claimId, { ...c, invoiceNumber: `${c.invoiceNumber}-B`, revision: 3 }));
    await handled(await publishEvent(sys, Events.claimAmended, c.claimId, { ...c, invoiceNumber: `${c.invoiceNumber}-A`, revision: 2 }));
    expect(await held()).toEqual({ invoice_number: `${c.invoiceNumber}-B`, revision: 3 });
    // the same revision again (a redelivery under another event id) changes nothing either
    await handled(await publishEvent(sys, Events.claimAmended, c.claimId, { ...c, invoiceNumber: `${c.invoiceNumber}-C`, revision: 3 }));
    expect(await held()).toEqual({ invoice_number: `${c.invoiceNumber}-B`, revision: 3 });
    await handled(await publishEvent(sys, Events.claimAmended, c.claimId, { ...c, invoiceNumber: `${c.invoiceNumber}-D`, revision: 4 }));
    expect(await held()).toEqual({ invoice_number: `${c.invoiceNumber}-D`, revision: 4 });
  });

  it('R-MATCH-1: a region keeps the ratio of its newest event, whatever order the events arrive in', async () => {
    const regionId = '00000000-0000-4000-8000-00000000e510';
    const event = (version: number, matchingRatio: string) => ({ regionId, province: 'SH', name: '示范区-版本', matchingRatio, status: 'active', version });
    const handled = async (eventId: string) =>
      eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.processed_events WHERE event_id = $1`, [eventId])).length > 0, 20_000);
    // the second change (v3) arrives first, then the registration (v1) and the first change (v2)
    await handled(await publishEvent(sys, Events.regionUpdated, regionId, event(3, '0.80')));
    await handled(await publishEvent(sys, Events.regionRegistered, regionId, event(1, '1.00')));
    await handled(await publishEvent(sys, Events.regionUpdated, regionId, event(2, '0.50')));
    expect(await sql(sys.db.url, `SELECT matching_ratio::text AS ratio, version::int FROM settlement.regions WHERE id = $1`, [regionId])).toEqual([{ ratio: '0.800000', version: 3 }]);
    await handled(await publishEvent(sys, Events.regionUpdated, regionId, event(4, '1.25')));
    expect(await sql(sys.db.url, `SELECT matching_ratio::text AS ratio FROM settlement.regions WHERE id = $1`, [regionId])).toEqual([{ ratio: '1.250000' }]);
  });
});
