import { INestApplication } from '@nestjs/common';
import { Clock } from '@vc/platform';
import { Subjects } from '@vc/contracts';
import { eventually, holdOutboxRelay, sql, TestSystem } from '@vc/testing';
import { runLedgerChecks } from '../../scripts/ledger/ledger-check';
import { quotaArrived, serveAndClaim, startDeltaServices } from '../fixtures/services';
import { newCreditCode } from '../fixtures/credit-codes';
import { approvedEnterprise, createRegion, key, openProgramme } from '../fixtures/issuance';
import { operatorOf, providerAccount } from '../fixtures/principals';
import { newInvoiceNumber } from '../fixtures/invoices';

const R = Subjects.redemption;
const T = Subjects.settlement;

/**
 * R-CLAIM-3 with R-CLAIM-2 across redemption and settlement: once a claim is in a run, settlement
 * decides whether it may still be amended. Redemption hears of a run's approve-all some time after
 * it happened (an event through settlement's outbox); an amendment made in between is the race this
 * file pins. Settlement's relay is held back with its own advisory lock, so the race is certain.
 */
describe('e2e: amendments against a run (R-CLAIM-3, R-CLAIM-2)', () => {
  let sys: TestSystem;
  const apps: INestApplication[] = [];
  const setNow = (instant: string) => apps.forEach((app) => app.get(Clock).set(new Date(instant)));
  let provider: { id: string; principal: ReturnType<typeof providerAccount> };
  let enterprise: Awaited<ReturnType<typeof approvedEnterprise>>;
  const op = operatorOf('JS');

  beforeAll(async () => {
    sys = await TestSystem.start();
    apps.push(...(await startDeltaServices(sys)).apps);
    const code = newCreditCode();
    const p = await sys.client.ok(
      Subjects.registry.providerApply,
      { creditCode: code, legalName: '南京示范大学', unitName: '分析测试中心', kind: 'testing_centre', province: 'JS' },
      { principal: providerAccount(code), idempotencyKey: key() },
    );
    provider = { id: p.id, principal: providerAccount(code) };
    await openProgramme(sys.client, 'JS', 2026, { budgetFen: 100_000_000 });
    const region = await createRegion(sys.client, 'JS', '苏州工业园区');
    enterprise = await approvedEnterprise(sys.client, region.id, 'JS', 2026, '苏州光子芯片科技有限公司');
    await sys.client.ok(Subjects.issuance.quotaClaim, { enterpriseId: enterprise.id, amountFen: 10_000_000 }, { principal: enterprise.principal, idempotencyKey: key() });
    await quotaArrived(sys.client, 'JS-2026', enterprise, 10_000_000);
  }, 120000);
  afterAll(async () => sys?.stop());

  const claimIn = async (n: number) => {
    const evidence = { contractRef: `HT-${n}`, invoiceNumber: newInvoiceNumber(), bankTransferRef: `BK-${n}` };
    const { claim } = await serveAndClaim(sys.client, provider, enterprise, 800_000, evidence);
    return { claim, evidence };
  };
  const settled = async (claimId: string) =>
    eventually(async () => ((await sql(sys.db.url, `SELECT 1 FROM settlement.claims WHERE claim_id = $1`, [claimId])).length ? true : null), 20000);
  const redemptionClaim = (claimId: string) => sys.client.ok(R.claimGet, { claimId }, { principal: provider.principal });

  it('R-CLAIM-3: before any run, an amendment is accepted by settlement and the old invoice is free again', async () => {
    const { claim, evidence } = await claimIn(1);
    await settled(claim.id);
    const replacement = newInvoiceNumber();
    const proposed = await sys.client.ok(R.claimAmend, { claimId: claim.id, invoiceNumber: replacement, reason: '发票重开' }, { principal: provider.principal, idempotencyKey: key() });
    // A proposal: the claim keeps its evidence until settlement answers; both invoices are held meanwhile
    expect(proposed).toMatchObject({ invoiceNumber: evidence.invoiceNumber, revision: 1, amendment: { status: 'proposed', revision: 2, proposed: { invoiceNumber: replacement } } });
    const answered = await eventually(async () => {
      const c = await redemptionClaim(claim.id);
      return c.amendment?.status === 'accepted' ? c : null;
    }, 20000);
    expect(answered).toMatchObject({ invoiceNumber: replacement, revision: 2, status: 'pending_review' });
    const [row] = await sql(sys.db.url, `SELECT invoice_number, revision FROM settlement.claims WHERE claim_id = $1`, [claim.id]);
    expect(row).toEqual({ invoice_number: replacement, revision: 2 });
    // The invoice it no longer cites backs a new claim; the one it cites does not
    const again = await serveAndClaim(sys.client, provider, enterprise, 800_000, { contractRef: 'HT-1b', invoiceNumber: evidence.invoiceNumber, bankTransferRef: 'BK-1b' });
    expect(again.claim.invoiceNumber).toBe(evidence.invoiceNumber);
    await expect(serveAndClaim(sys.client, provider, enterprise, 800_000, { contractRef: 'HT-1c', invoiceNumber: replacement, bankTransferRef: 'BK-1c' })).rejects.toThrow(/DUPLICATE_INVOICE/);
  }, 120000);

  it('R-CLAIM-3, R-CLAIM-2, R-LEDGER-1: amended after approve-all, before redemption heard of it: refused, paid on the reviewed evidence, the old invoice stays reserved', async () => {
    const { claim, evidence } = await claimIn(2);
    await settled(claim.id);
    // Every claim so far is collected by the run (the first test's too)
    const collected = (await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.claims WHERE programme_id = 'JS-2026'`))[0].n;
    setNow('2026-10-09T10:00:00+08:00');
    await sys.client.ok(T.runStart, { programmeId: 'JS-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
    const run = (await sys.client.ok(T.runList, { programmeId: 'JS-2026' }, { principal: op })).items[0];
    expect(run.collectedCount).toBe(collected);

    // Settlement's relay is held: what settlement decides from here does not reach redemption yet
    const relay = await holdOutboxRelay(sys.db.url, 'settlement');
    try {
      await sys.client.ok(T.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
      // Redemption still says pending review, so it takes the amendment as a proposal
      expect((await redemptionClaim(claim.id)).status).toBe('pending_review');
      const replacement = newInvoiceNumber();
      const proposal = await sys.client.ok(
        R.claimAmend,
        { claimId: claim.id, invoiceNumber: replacement, invoiceAmountFen: 800_000, reason: '更正发票' },
        { principal: provider.principal, idempotencyKey: key() },
      );
      expect(proposal.amendment).toMatchObject({ status: 'proposed', revision: 2 });
      // Settlement refuses it: the claim is past review. The answer waits in its outbox.
      await eventually(async () => {
        const rows = await sql(sys.db.url, `SELECT 1 FROM settlement.outbox WHERE subject = 'voucher.events.settlement.amendment-refused' AND aggregate_id = $1`, [claim.id]);
        return rows.length ? true : null;
      }, 20000);
      // A second amendment while the first awaits its answer is refused outright
      const second = await sys.client.call(R.claimAmend, { claimId: claim.id, contractRef: 'HT-2x', reason: '再改' }, { principal: provider.principal, idempotencyKey: key() });
      expect(second).toMatchObject({ ok: false, error: { code: 'ILLEGAL_STATE' } });
      // Both invoices are held while the proposal is open
      for (const invoiceNumber of [evidence.invoiceNumber, replacement]) {
        await expect(serveAndClaim(sys.client, provider, enterprise, 800_000, { contractRef: 'HT-2y', invoiceNumber, bankTransferRef: 'BK-2y' })).rejects.toThrow(/DUPLICATE_INVOICE/);
      }

      await relay.release();
      const refused = await eventually(async () => {
        const c = await redemptionClaim(claim.id);
        return c.amendment?.status === 'refused' && c.status === 'approved' ? c : null;
      }, 20000);
      // Redemption shows the refusal and keeps the evidence settlement reviewed
      expect(refused).toMatchObject({ invoiceNumber: evidence.invoiceNumber, revision: 1, amendment: { status: 'refused', revision: 2, proposed: { invoiceNumber: replacement } } });
      expect(refused.amendment.reason).toMatch(/past review/);
      const audit = await sql(sys.db.url, `SELECT action FROM redemption.audit_log WHERE entity_id = $1 ORDER BY id`, [claim.id]);
      expect(audit.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['claim.amendment-proposed', 'claim.amendment-refused']));

      // The old invoice stays reserved; the refused proposal's is free again
      await expect(serveAndClaim(sys.client, provider, enterprise, 800_000, { contractRef: 'HT-2z', invoiceNumber: evidence.invoiceNumber, bankTransferRef: 'BK-2z' })).rejects.toThrow(/DUPLICATE_INVOICE/);
      const reuse = await serveAndClaim(sys.client, provider, enterprise, 800_000, { contractRef: 'HT-2w', invoiceNumber: replacement, bankTransferRef: 'BK-2w' });
      expect(reuse.claim.invoiceNumber).toBe(replacement);
    } finally {
      await relay.release();
    }

    // The first claim was flagged by the duplicate attempted on its invoice (same provider, R-CLAIM-2):
    // approve-all left it to a reviewer, who approves it after checking
    const flagged = await sys.client.ok(T.claimList, { runId: run.id, state: 'in_review' }, { principal: op });
    expect(flagged.items.map((c: { claimId: string }) => c.claimId)).not.toContain(claim.id);
    await sys.client.ok(
      T.runReview,
      { runId: run.id, decisions: flagged.items.map((c: { claimId: string }) => ({ claimId: c.claimId, decision: 'approve', reason: '发票已核对' })) },
      { principal: op, idempotencyKey: key() },
    );
    // Published and paid on the reviewed evidence; every ledger identity holds
    await sys.client.ok(T.runPublish, { runId: run.id }, { principal: op, idempotencyKey: key() });
    setNow('2026-10-16T09:00:00+08:00');
    await sys.client.ok(T.runDisburse, { runId: run.id }, { principal: op });
    // (a run records payment on itself, not on each claim's row: ADR 0008; its claim list shows both)
    const paid = await sys.client.ok(T.claimList, { runId: run.id, state: 'paid' }, { principal: op });
    expect(paid.items.find((c: { claimId: string }) => c.claimId === claim.id)).toMatchObject({ invoiceNumber: evidence.invoiceNumber, voucherFen: 200_000 });
    await eventually(async () => ((await redemptionClaim(claim.id)).status === 'paid' ? true : null), 20000);
    expect(await redemptionClaim(claim.id)).toMatchObject({ invoiceNumber: evidence.invoiceNumber, status: 'paid' });
    const report = await runLedgerChecks(sys.db.url);
    expect(report.filter((r) => r.status === 'differs')).toEqual([]);
  }, 180000);
});
