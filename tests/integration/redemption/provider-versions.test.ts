import { Events, Subjects } from '@vc/contracts';
import { sql, TestSystem } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { ikey, providerPayload, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';

const S = Subjects.redemption;
jest.setTimeout(60_000);

/**
 * R-REG-2..4: redemption keeps each provider as the newest registry event says, whatever order
 * the events arrive in (replicas of the consumer, a redelivery after a failure): an older event
 * that arrives late cannot undo a suspension, and an exclusion is whatever the newest event lists.
 */
describe('redemption: provider events applied by version (R-REG-2..4)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let JS: string;
  let ent: TestEnterprise;
  let p: TestProvider;

  beforeAll(async () => {
    sys = await TestSystem.start();
    sys.apps.push(await bootstrapRedemption(sys.config()));
    feed = new UpstreamFeed(sys);
    JS = await feed.programme('JS', { budgetFen: 1_000_000_000 });
    ent = await feed.enterprise('JS');
    await feed.quota(ent.id, JS, 10_000_000);
    p = await feed.provider({ province: 'SH' }); // an event from before versions: version 0
  });
  afterAll(async () => sys?.stop());

  /** Publishes a provider event and waits until the projection has handled it (applied, or refused into quarantine). */
  async function deliver(subject: string, state: Record<string, unknown>): Promise<void> {
    const id = await feed.publish(subject, p.id, providerPayload(p, { status: 'active', suspended: false, ...state }));
    await feed.until(
      async () =>
        (
          await sql(
            sys.db.url,
            `SELECT 1 FROM redemption.processed_events WHERE consumer = 'redemption-projections' AND event_id = $1
             UNION ALL SELECT 1 FROM redemption.quarantined_events WHERE event_id = $1::text`,
            [id],
          )
        ).length > 0,
      `${subject} handled`,
    );
  }

  const held = async () =>
    (
      await sql(
        sys.db.url,
        `SELECT version::int, status, suspended, ARRAY(SELECT programme_id FROM redemption.provider_exclusions x WHERE x.provider_id = p.id ORDER BY 1) AS excluded
           FROM redemption.providers p WHERE id = $1`,
        [p.id],
      )
    )[0];
  const create = () =>
    sys.client.call(S.orderCreate, { providerId: p.id, enterpriseId: ent.id, amountFen: 100_000, description: '检测' }, { principal: p.principal, idempotencyKey: ikey() });

  it('R-REG-4: a suspension stays when the event before it arrives after it', async () => {
    await deliver(Events.providerAdmitted, { version: 1, excludedProgrammes: [] });
    expect(await held()).toEqual({ version: 1, status: 'active', suspended: false, excluded: [] });
    // v2 (excluded from JS) is delayed; v3 (suspended, still excluded) arrives first
    await deliver(Events.providerSuspended, { version: 3, suspended: true, excludedProgrammes: [JS] });
    await deliver(Events.providerExcluded, { version: 2, programmeId: JS, excludedProgrammes: [JS] });
    expect(await held()).toEqual({ version: 3, status: 'active', suspended: true, excluded: [JS] });
    expect(await create()).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE', field: 'providerId' } });
    // an event from before versions, delivered now, is older than any versioned one
    await deliver(Events.providerReinstated, { suspended: false });
    expect(await held()).toMatchObject({ version: 3, suspended: true });
  });

  it('R-REG-2: the newest event lists the exclusions; a late exclusion event does not bring one back', async () => {
    await deliver(Events.providerReinstated, { version: 5, excludedProgrammes: [] });
    await deliver(Events.providerExcluded, { version: 4, programmeId: JS, excludedProgrammes: [JS] });
    expect(await held()).toEqual({ version: 5, status: 'active', suspended: false, excluded: [] });
    expect(await create()).toMatchObject({ ok: true });
    await deliver(Events.providerRevoked, { version: 6, status: 'revoked', excludedProgrammes: [] });
    expect(await create()).toMatchObject({ ok: false, error: { code: 'PROVIDER_NOT_ACTIVE' } });
  });

  it('an event with a version but no exclusions, or a version that is not a positive integer, is refused as unusable and changes nothing', async () => {
    const before = await held();
    await deliver(Events.providerReinstated, { version: 9 });
    await deliver(Events.providerReinstated, { version: 0, excludedProgrammes: [] });
    await deliver(Events.providerReinstated, { version: 10.5, excludedProgrammes: [] });
    expect(await held()).toEqual(before);
    // the two whose payload does not validate never reached the projection: quarantined, with the field
    const refused = await sql(sys.db.url, `SELECT reason, detail FROM redemption.quarantined_events WHERE reason = 'invalid_payload' ORDER BY id`);
    expect(refused).toEqual([expect.objectContaining({ detail: expect.stringMatching(/^payload.version/) }), expect.objectContaining({ detail: expect.stringMatching(/^payload.version/) })]);
  });

  it('a message that is not an event envelope, even signed by the registry, is quarantined, and the events after it are applied as ever', async () => {
    const junk = ['null', '42', '{"type":"voucher.events.provider.admitted"}'];
    for (const text of junk) await sys.events.publishRaw('registry', Events.providerAdmitted, new TextEncoder().encode(text));
    await deliver(Events.providerReinstated, { version: 20, status: 'active', excludedProgrammes: [] });
    expect(await held()).toMatchObject({ version: 20, status: 'active' });
    const quarantined = await sql(sys.db.url, `SELECT reason, body, signer FROM redemption.quarantined_events WHERE reason = 'not_an_envelope' ORDER BY id`);
    expect(quarantined.map((q) => q.body)).toEqual(junk);
    expect(quarantined.every((q) => q.signer === 'registry')).toBe(true);
  });
});
