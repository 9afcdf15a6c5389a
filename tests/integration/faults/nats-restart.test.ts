import { INestApplication } from '@nestjs/common';
import { Clock } from '@vc/platform';
import { quotaArrived, serveAndClaim, startDeltaServices } from '../../fixtures/services';
import { Events, Subjects } from '@vc/contracts';
import { eventually, sql, TestSystem } from '@vc/testing';
import { formatReport, runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { newCreditCode } from '../../fixtures/credit-codes';
import { approvedEnterprise, createRegion, key, openProgramme } from '../../fixtures/issuance';
import { operatorOf, providerAccount } from '../../fixtures/principals';
import { newInvoiceNumber } from '../../fixtures/invoices';

const T = Subjects.settlement;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Integrity under a NATS outage in the middle of a settlement run: nats-server is stopped (its
 * JetStream store kept) while the review/publish events are being relayed, and again while the
 * run is disbursed (the request in flight, its reply lost, the claim-paid events in the outbox).
 * PostgreSQL is the source of truth: the services reconnect, the outbox relays what was committed,
 * the consumers catch up, and a retried disbursement pays nothing twice.
 */
describe('faults: nats-server restarted during a settlement run (all services in-process, real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  const apps: INestApplication[] = [];
  const clock = { CLOCK_MODE: 'simulated' as const, SIMULATED_NOW: '2026-07-06T09:00:00+08:00' };
  const setNow = (instant: string) => apps.forEach((app) => app.get(Clock).set(new Date(instant)));

  beforeAll(async () => {
    sys = await TestSystem.start();
    apps.push(...(await startDeltaServices(sys, clock)).apps);
  }, 120000);
  afterAll(async () => sys?.stop(), 60000);

  /** A NATS request retried (same idempotency key) until the restarted server answers it. */
  async function retried<T = any>(subject: string, body: unknown, options: Parameters<TestSystem['client']['call']>[2], timeoutMs = 45000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const reply = await sys.client.call<T>(subject, body, { ...options, timeoutMs: 3000 });
        if (reply.ok) return reply.data;
        last = reply.error;
        if (!['RUN_LOCKED', 'UNAVAILABLE', 'INTERNAL'].includes(String((reply.error as any)?.code))) throw new Error(`${subject} refused: ${JSON.stringify(reply.error)}`);
      } catch (err) {
        if (String(err).includes('refused')) throw err;
        last = err;
      }
      await sleep(250);
    }
    throw new Error(`${subject} did not answer within ${timeoutMs} ms: ${String(last)}`);
  }

  it('R-PAY-1, R-LEDGER-1: NATS stopped after review/publish and again during disbursement → run completes, each claim paid once, 0 ledger differences', async () => {
    // Providers (registry), programme, region, enterprises and quota (issuance)
    const admit = async (province: 'SH' | 'ZJ', unitName: string) => {
      const code = newCreditCode();
      const p = await sys.client.ok(Subjects.registry.providerApply, { creditCode: code, legalName: '故障演练大学', unitName, kind: 'testing_centre', province }, { principal: providerAccount(code), idempotencyKey: key() });
      return { ...p, principal: providerAccount(code) };
    };
    const providers = [await admit('SH', '分析测试中心'), await admit('ZJ', '重点实验室')];
    await openProgramme(sys.client, 'JS', 2026, { budgetFen: 100_000_000 });
    const region = await createRegion(sys.client, 'JS', '苏州工业园区');
    const enterprises = [
      await approvedEnterprise(sys.client, region.id, 'JS', 2026, '苏州故障演练一号科技有限公司'),
      await approvedEnterprise(sys.client, region.id, 'JS', 2026, '苏州故障演练二号科技有限公司'),
    ];
    for (const e of enterprises) await sys.client.ok(Subjects.issuance.quotaClaim, { enterpriseId: e.id, amountFen: 10_000_000 }, { principal: e.principal, idempotencyKey: key() });
    for (const e of enterprises) await quotaArrived(sys.client, 'JS-2026', e, 10_000_000);

    // Six orders paid with the voucher, completed and claimed (two payees)
    let n = 0;
    const vouchers = new Map<string, bigint>();
    for (const provider of providers) {
      for (const [i, ent] of enterprises.entries()) {
        for (const amountFen of i === 0 ? [1_234_567, 400_000] : [800_000]) {
          n++;
          const { paid, claim } = await serveAndClaim(sys.client, provider, ent, amountFen, { contractRef: `HT-NR-${n}`, invoiceNumber: newInvoiceNumber(), bankTransferRef: `BK-NR-${n}` });
          vouchers.set(claim.id, BigInt(paid.voucherFen));
        }
      }
    }
    const claimIds = [...vouchers.keys()];
    const expectedTotal = [...vouchers.values()].reduce((a, b) => a + b, 0n);
    expect(claimIds).toHaveLength(6);

    // After the quarter: start the run once settlement's projection has every claim
    setNow('2026-10-09T10:00:00+08:00');
    const op = operatorOf('JS');
    await eventually(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.claims`))[0].n === 6, 20000);
    const started = await sys.client.ok(T.runStart, { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: op, idempotencyKey: 'nr-start' });
    expect(started.collectedCount).toBe(6);
    const runId: string = started.id ?? (await sys.client.ok(T.runList, { programmeId: 'JS-2026' }, { principal: op })).items[0].id;

    // Outage 1: right after the review commits, while its claim-approved events are relayed
    await sys.client.ok(T.runReview, { runId, approveAll: true }, { principal: op, idempotencyKey: 'nr-review' });
    await sys.nats.stop();
    await sleep(3000);
    await sys.nats.start();
    const published = await retried(T.runPublish, { runId }, { principal: op, idempotencyKey: 'nr-publish' });
    expect(published.state).toBe('publicity');

    // Redemption hears every approval once NATS is back (the relay resumes where it stopped)
    await eventually(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.claims WHERE status = 'approved'`))[0].n === 6, 30000);

    // Outage 2: the disbursement request is in flight when nats-server goes away; its reply is lost
    setNow('2026-10-16T09:00:00+08:00');
    const inFlight = sys.client.call(T.runDisburse, { runId }, { principal: op, timeoutMs: 2000 }).catch((err) => err as Error);
    await sleep(30);
    await sys.nats.stop();
    await inFlight; // answered just before the stop, or lost: either way retried below
    await sleep(3000);
    await sys.nats.start();

    // The run completes: the retried request finds whatever steps were done and does the rest
    const disbursed = await retried(T.runDisburse, { runId }, { principal: op });
    expect(disbursed.state).toBe('completed');
    expect(disbursed.instructionCount).toBe(2); // one per payee (R-PAY-1)
    const before = await sys.client.ok(T.instructionList, { runId }, { principal: op });
    expect(before.items).toHaveLength(2);
    expect(BigInt(before.totalFen)).toBe(expectedTotal);

    // Outage 3: NATS stopped while the claim-paid events may still be in the outbox; a second disbursement afterwards
    await sys.nats.stop();
    await sleep(2000);
    await sys.nats.start();
    const again = await retried(T.runDisburse, { runId }, { principal: op });
    expect(again.instructionCount).toBe(disbursed.instructionCount);
    const after = await sys.client.ok(T.instructionList, { runId }, { principal: op });
    expect(after.items).toHaveLength(before.items.length);
    expect(after.totalFen).toEqual(before.totalFen);

    // Each claim paid once, in settlement and in redemption (which hears it over JetStream)
    const settled = await sql(sys.db.url, `SELECT claim_id, state, voucher_fen FROM settlement.claims_current WHERE run_id = $1`, [runId]);
    expect(settled).toHaveLength(6);
    expect(settled.every((c) => c.state === 'paid')).toBe(true);
    for (const c of settled) expect(BigInt(c.voucher_fen)).toBe(vouchers.get(c.claim_id));
    const paidRows = await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.instructions WHERE run_id = $1`, [runId]);
    expect(paidRows[0].n).toBe(2);
    await eventually(async () => (await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.claims WHERE status = 'paid' AND id = ANY($1::uuid[])`, [claimIds]))[0].n === 6, 30000);
    // One 'claim.paid' audit record per claim in redemption and one claim-paid event per claim in settlement's outbox
    const audits = await sql(sys.db.url, `SELECT entity_id, count(*)::int AS n FROM redemption.audit_log WHERE action = 'claim.paid' GROUP BY 1`);
    expect(audits).toHaveLength(6);
    expect(audits.every((a) => a.n === 1)).toBe(true);
    const events = await sql(
      sys.db.url,
      `SELECT c.id AS claim_id, count(*)::int AS n FROM settlement.outbox o, jsonb_array_elements_text(o.envelope->'payload'->'claimIds') c(id) WHERE o.subject = $1 GROUP BY 1`,
      [Events.settlementClaimPaid],
    );
    expect(events).toHaveLength(6);
    expect(events.every((e) => e.n === 1)).toBe(true);
    // Everything committed was relayed once NATS came back
    await eventually(async () => {
      const rows = await sql(sys.db.url, `SELECT (SELECT count(*) FROM settlement.outbox WHERE published_at IS NULL) + (SELECT count(*) FROM redemption.outbox WHERE published_at IS NULL) AS n`);
      return Number(rows[0].n) === 0;
    }, 30000);

    // R-LEDGER-1 across all schemas
    const report = await runLedgerChecks(sys.db.url);
    console.log(formatReport(report));
    expect(report.filter((r) => r.status === 'differs')).toEqual([]);
    expect(report.filter((r) => r.status === 'ok').length).toBeGreaterThanOrEqual(8);
  }, 180000);
});
