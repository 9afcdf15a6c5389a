import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { connect, headers as natsHeaders, NatsConnection } from 'nats';
import { loadServiceKey, TrustedServiceKeys } from '@vc/auth';
import { EVENT_STREAM, Events, Role, Subjects } from '@vc/contracts';
import { EventSigner } from '@vc/messaging';
import { connectAs, eventually, sql, testSecretsDir, TestSystem, tokenFor } from '@vc/testing';
import { formatReport, runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { newCreditCode } from '../../fixtures/credit-codes';
import { approvedEnterprise, createRegion, key, openProgramme } from '../../fixtures/issuance';
import { auditor, deltaOperator, operatorOf, providerAccount } from '../../fixtures/principals';
import { quotaArrived, serveAndClaim, startDeltaServices } from '../../fixtures/services';
import { newInvoiceNumber } from '../../fixtures/invoices';

const T = Subjects.settlement;
const encoder = new TextEncoder();

jest.setTimeout(240_000);

/**
 * The attack the bus was open to: with NATS reachable, make a settlement run pay an outsider. Tried
 * here as an attacker would, with no credentials and then with one service's NATS password (and,
 * worse, another service's signing key): forged amendments, phantom claims, replays, a quota over
 * the cap, a reinstatement at a version no genuine event can beat. None is applied; each lands in
 * quarantine with its reason; the run pays the genuine provider its V and the outsider nothing. And
 * when settlement's copy of a claim is changed anyway (as a forged event applied would change it),
 * redemption refuses to confirm the payment and the ledger check names the claim.
 */
describe('e2e security: nobody on the bus can make a run pay them (real PostgreSQL + NATS, all services)', () => {
  let sys: TestSystem;
  let setNow: (instant: string) => void;
  const connections: NatsConnection[] = [];
  let genuine: { id: string; principal: ReturnType<typeof providerAccount> };
  let outsider: { id: string };
  let jsClaim: { id: string; orderId: string; voucherFen: number; payeeId: string };
  let zjClaim: { id: string; orderId: string; voucherFen: number; payeeId: string };

  const as = async (user: string) => {
    const nc = await connectAs(sys.nats.url, user, `attacker-as-${user}`);
    connections.push(nc);
    return nc;
  };

  /** An envelope as an outbox would write it. */
  const envelope = (subject: string, payload: Record<string, unknown>, id: string = randomUUID()) =>
    encoder.encode(JSON.stringify({ id, type: subject, aggregateType: subject.split('.')[2], aggregateId: String(payload.claimId ?? payload.providerId ?? payload.enterpriseId ?? 'x'), occurredAt: new Date().toISOString(), payload }));

  const quarantined = (schema: string, eventId: string) =>
    eventually(async () => (await sql(sys.db.url, `SELECT reason, signer, detail FROM ${schema}.quarantined_events WHERE event_id = $1`, [eventId]))[0], 20000);

  beforeAll(async () => {
    sys = await TestSystem.start();
    ({ setNow } = await startDeltaServices(sys));
    const admit = async (province: 'SH' | 'JS', legalName: string, unitName: string) => {
      const code = newCreditCode();
      const p = await sys.client.ok(Subjects.registry.providerApply, { creditCode: code, legalName, unitName, kind: 'testing_centre', province }, { principal: providerAccount(code), idempotencyKey: key() });
      return { ...p, principal: providerAccount(code) };
    };
    genuine = await admit('SH', '上海示范大学', '分析测试中心');
    outsider = await admit('JS', '外部人员检测有限公司', '检测部');
    await openProgramme(sys.client, 'JS', 2026, { budgetFen: 100_000_000 });
    await openProgramme(sys.client, 'ZJ', 2026, { budgetFen: 100_000_000 });
    const suzhou = await createRegion(sys.client, 'JS', '苏州工业园区');
    const hangzhou = await createRegion(sys.client, 'ZJ', '杭州高新区');
    const jsEnt = await approvedEnterprise(sys.client, suzhou.id, 'JS', 2026, '苏州光子芯片科技有限公司');
    const zjEnt = await approvedEnterprise(sys.client, hangzhou.id, 'ZJ', 2026, '杭州微生物检测科技有限公司');
    await sys.client.ok(Subjects.issuance.quotaClaim, { enterpriseId: jsEnt.id, amountFen: 10_000_000 }, { principal: jsEnt.principal, idempotencyKey: key() });
    await sys.client.ok(Subjects.issuance.quotaClaim, { enterpriseId: zjEnt.id, amountFen: 10_000_000 }, { principal: zjEnt.principal, idempotencyKey: key() });
    await quotaArrived(sys.client, 'JS-2026', jsEnt, 10_000_000);
    await quotaArrived(sys.client, 'ZJ-2026', zjEnt, 10_000_000);
    // V = 200,000 fen each (A = 800,000 fen at 25 %)
    const a = await serveAndClaim(sys.client, genuine, jsEnt, 800_000, { contractRef: 'HT-1', invoiceNumber: newInvoiceNumber(), bankTransferRef: 'BK-1' });
    const b = await serveAndClaim(sys.client, genuine, zjEnt, 800_000, { contractRef: 'HT-2', invoiceNumber: newInvoiceNumber(), bankTransferRef: 'BK-2' });
    jsClaim = a.claim;
    zjClaim = b.claim;
    expect([jsClaim.voucherFen, zjClaim.voucherFen]).toEqual([200_000, 200_000]);
    // settlement has both claims (from redemption's signed events)
    await eventually(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.claims`))[0].n === 2, 20000);
  }, 180_000);

  afterAll(async () => {
    for (const nc of connections) await nc.close().catch(() => undefined);
    await sys?.stop();
  });

  it('NATS refuses a client without credentials, and one with a wrong password', async () => {
    await expect(connect({ servers: sys.nats.url, maxReconnectAttempts: 0 })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
    await expect(connect({ servers: sys.nats.url, user: 'redemption', pass: 'guessed', maxReconnectAttempts: 0 })).rejects.toMatchObject({ code: 'AUTHORIZATION_VIOLATION' });
  });

  it('a forged amendment (payee → outsider, V 200,000 → 10,000,000 fen), a phantom claim and other forged events are not applied: each is quarantined with its reason', async () => {
    // The attacker holds redemption's NATS password (so NATS lets it publish on redemption's subjects),
    // and, worse, the registry's signing key; not redemption's.
    const nc = await as('redemption');
    const js = nc.jetstream();
    const registryKey = loadServiceKey(testSecretsDir(), 'registry', TrustedServiceKeys.load(testSecretsDir(), false), false);
    const { privateKey: ownKey } = generateKeyPairSync('ed25519');
    const forgedAmendment = (await sql(sys.db.url, `SELECT redemption.claim_event(c) AS e FROM redemption.claims c WHERE id = $1`, [jsClaim.id]))[0].e;
    Object.assign(forgedAmendment, { payeeId: outsider.id, voucherFen: 10_000_000, amountFen: 40_000_000, revision: 2 });

    const attempts: Array<{ subject: string; payload: Record<string, unknown>; sign: 'none' | 'own-key' | 'registry-key'; expect: string; schema: string }> = [
      { subject: Events.claimAmended, payload: forgedAmendment, sign: 'none', expect: 'unsigned', schema: 'settlement' },
      { subject: Events.claimAmended, payload: forgedAmendment, sign: 'own-key', expect: 'unknown_key', schema: 'settlement' },
      { subject: Events.claimAmended, payload: forgedAmendment, sign: 'registry-key', expect: 'wrong_owner', schema: 'settlement' },
      {
        subject: Events.claimSubmitted,
        payload: { ...forgedAmendment, claimId: randomUUID(), orderId: randomUUID(), invoiceNumber: newInvoiceNumber(), revision: 1 },
        sign: 'own-key',
        expect: 'unknown_key',
        schema: 'settlement',
      },
    ];
    // Replayed (first, while the last claim.submitted on the stream is a genuine one): a genuine, correctly signed claim.submitted taken from the stream and published again
    const ops = sys.client.nc;
    const stored = await (await ops.jetstreamManager()).streams.getMessage(EVENT_STREAM, { last_by_subj: Events.claimSubmitted });
    const copy = natsHeaders();
    for (const [k, v] of stored.header) copy.set(k, v[0]);
    await js.publish(Events.claimSubmitted, stored.data, { msgID: randomUUID(), headers: copy });
    const replayedId = JSON.parse(new TextDecoder().decode(stored.data)).id;
    await eventually(async () => (await sql(sys.db.url, `SELECT 1 FROM settlement.quarantined_events WHERE event_id = $1 AND reason = 'replayed'`, [replayedId])).length === 1, 20000);

    for (const attempt of attempts) {
      const id = randomUUID();
      const data = envelope(attempt.subject, attempt.payload, id);
      let headers;
      if (attempt.sign === 'registry-key') headers = new EventSigner(registryKey).headers(attempt.subject, data);
      if (attempt.sign === 'own-key') headers = new EventSigner({ kid: 'dev-redemption-stolen', service: 'redemption', privateKey: ownKey }).headers(attempt.subject, data);
      await js.publish(attempt.subject, data, { msgID: id, headers });
      expect({ subject: attempt.subject, sign: attempt.sign, ...(await quarantined(attempt.schema, id)) }).toMatchObject({ reason: attempt.expect });
    }

    // Issuance's and the registry's events from redemption's NATS user: refused by NATS itself
    const registryUser = await as('registry');
    const refusal = new Promise<string>((resolve) => {
      void (async () => {
        for await (const s of registryUser.status()) if (s.type === 'error') resolve(String(s.data));
      })();
    });
    registryUser.publish(Events.quotaGranted, envelope(Events.quotaGranted, { claimId: randomUUID(), enterpriseId: randomUUID(), programmeId: 'JS-2026', year: 2026, amountFen: 99_000_000 }));
    expect(await refusal).toContain('PERMISSIONS_VIOLATION');

    // A reinstatement at version 2147483000 signed with the registry's leaked key cannot come from
    // redemption's NATS user (its subject is the registry's): NATS refuses it before anyone sees it.
    await expect(js.publish(Events.providerReinstated, envelope(Events.providerReinstated, { providerId: outsider.id }), { timeout: 2000 })).rejects.toBeTruthy();

    // settlement's copy of the claim is untouched; the phantom claim does not exist
    const copyNow = await sql(sys.db.url, `SELECT payee_id::text, voucher_fen::int FROM settlement.claims ORDER BY claim_id`);
    expect(copyNow).toHaveLength(2);
    expect(copyNow.every((c) => c.payee_id === genuine.id && c.voucher_fen === 200_000)).toBe(true);

    // Operators and auditors see the quarantine with the reasons; others may not look
    const listed = await sys.client.ok(T.quarantineList, {}, { principal: auditor });
    expect(listed.items.map((q: { reason: string }) => q.reason)).toEqual(expect.arrayContaining(['unsigned', 'unknown_key', 'wrong_owner', 'replayed']));
    expect(await sys.client.call(T.quarantineList, {}, { principal: genuine.principal })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const metrics = await (await import('prom-client')).register.getSingleMetric('voucher_events_quarantined_total')!.get();
    expect(metrics.values.filter((v) => v.labels.consumer === 'settlement-projection').reduce((n, v) => n + v.value, 0)).toBeGreaterThanOrEqual(5);
  });

  it('R-PAY-1: the run pays the genuine provider its V, and the outsider nothing', async () => {
    const op = operatorOf('JS');
    setNow('2026-10-09T10:00:00+08:00');
    const run = await sys.client.ok(T.runStart, { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
    expect(run.collectedCount).toBe(1);
    await sys.client.ok(T.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(T.runPublish, { runId: run.id }, { principal: op, idempotencyKey: key() });
    // redemption learns of the approval before money leaves (it confirms the payment below)
    await eventually(async () => (await sql(sys.db.url, `SELECT status FROM redemption.claims WHERE id = $1`, [jsClaim.id]))[0].status === 'approved', 20000);
    setNow('2026-10-16T09:00:00+08:00');
    await sys.client.ok(T.runDisburse, { runId: run.id }, { principal: op });
    const instructions = await sys.client.ok(T.instructionList, { runId: run.id }, { principal: op });
    expect(instructions.items.map((i: { payeeId: string; totalFen: number }) => [i.payeeId, i.totalFen])).toEqual([[genuine.id, 200_000]]);
    const audit = await sys.client.ok(T.auditList, { entityType: 'run', entityId: run.id }, { principal: auditor });
    expect(audit.items.find((a: { action: string }) => a.action === 'run.instructions-written').data).toMatchObject({ confirmedByRedemption: 1 });
  });

  it("two services agree before money leaves: a claim whose copy in settlement was changed is not paid, the run stops with CLAIMS_DISAGREE naming it, and the ledger check names it", async () => {
    // As if a forged amendment had been applied to settlement's copy (the check does not rely on the bus defences)
    await sql(sys.db.url, `UPDATE settlement.claims SET payee_id = $2, voucher_fen = 10000000 WHERE claim_id = $1`, [zjClaim.id, outsider.id]);
    const op = operatorOf('ZJ');
    setNow('2026-10-09T10:00:00+08:00');
    const run = await sys.client.ok(T.runStart, { programmeId: 'ZJ-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(T.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(T.runPublish, { runId: run.id }, { principal: op, idempotencyKey: key() });
    await eventually(async () => (await sql(sys.db.url, `SELECT status FROM redemption.claims WHERE id = $1`, [zjClaim.id]))[0].status === 'approved', 20000);
    setNow('2026-10-16T09:00:00+08:00');

    const refused = await sys.client.call(T.runDisburse, { runId: run.id }, { principal: op });
    expect(refused).toMatchObject({ ok: false, error: { code: 'CLAIMS_DISAGREE', field: 'runId' } });
    const differences = (refused as unknown as { error: { details: { differences: Array<{ claimId: string; field: string }> } } }).error.details.differences;
    expect(differences).toEqual(
      expect.arrayContaining([
        { claimId: zjClaim.id, field: 'payeeId', settlement: outsider.id, redemption: genuine.id },
        { claimId: zjClaim.id, field: 'voucherFen', settlement: '10000000', redemption: '200000' },
      ]),
    );
    // nothing was written: no instruction, the run still in publicity; the refusal is on record
    expect(await sql(sys.db.url, `SELECT 1 FROM settlement.instructions WHERE run_id = $1`, [run.id])).toEqual([]);
    expect((await sys.client.ok(T.runGet, { runId: run.id }, { principal: op })).state).toBe('publicity');
    const audit = await sys.client.ok(T.auditList, { entityType: 'run', entityId: run.id }, { principal: auditor });
    expect(audit.items.map((a: { action: string }) => a.action)).toContain('run.confirmation-refused');

    // R-LEDGER-1: the cross-service identity names the claim
    const report = await runLedgerChecks(sys.db.url);
    const differs = report.filter((r) => r.status === 'differs');
    expect(differs.map((r) => r.name)).toEqual([expect.stringContaining("settlement's claim = redemption's claim")]);
    expect(JSON.stringify(differs[0].differences)).toContain(zjClaim.id);
    void formatReport;
  });

  it('only settlement, with its own service credentials, may ask redemption to confirm claims', async () => {
    const body = encoder.encode(JSON.stringify({ programmeId: 'ZJ-2026', runId: randomUUID(), claimIds: [zjClaim.id], payeeTypes: ['provider'], payeeIds: [genuine.id], voucherFen: ['200000'] }));
    const ask = async (nc: NatsConnection, token: string) => {
      const h = natsHeaders();
      h.set('Authorization', `Bearer ${token}`);
      return JSON.parse(new TextDecoder().decode((await nc.request(Subjects.redemption.claimConfirm, body, { headers: h, timeout: 5000 })).data));
    };
    // the gateway (and so any HTTP caller) cannot even send it: NATS refuses the subject
    await expect(ask(await as('gateway'), tokenFor(deltaOperator))).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
    // from settlement's NATS user: a delta operator's token, and a token an identity provider signed for role=service
    const settlement = await as('settlement');
    expect(await ask(settlement, tokenFor(deltaOperator))).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await ask(settlement, tokenFor({ sub: 'settlement', role: Role.Service, org: 'settlement' }))).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });
});
