import { randomUUID } from 'node:crypto';
import { Events, SETTLEMENT_DETAILED_DECISIONS, SettlementClaimsEvent, Subjects } from '@vc/contracts';
import { rowCounts, sql, TestSystem } from '@vc/testing';
import { bootstrapRedemption } from '../../../apps/redemption/src/bootstrap';
import { auditor, operatorOf } from '../../fixtures/principals';
import { confirmedOrder, ikey, ledgerDifferences, TestEnterprise, TestProvider, UpstreamFeed } from '../../fixtures/redemption';
import { newInvoiceNumber } from '../../fixtures/invoices';

const S = Subjects.redemption;
jest.setTimeout(120_000);

const invoiceNo = () => newInvoiceNumber();
/** Full-width digits (U+FF10…), as an invoice number may be typed. */
const fullWidth = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));

/** Settlement's runs are known by uuid, as on the real stream. */
const RUN_1 = randomUUID();
const RUN_2 = randomUUID();

describe('redemption over NATS: redemption claims (R-CLAIM-1..3, real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let feed: UpstreamFeed;
  let JS: string; // provider_redeems
  let ZJ: string; // enterprise_reimbursed
  let provider: TestProvider;
  let jsEnt: TestEnterprise;
  let zjEnt: TestEnterprise;

  beforeAll(async () => {
    sys = await TestSystem.start();
    sys.apps.push(await bootstrapRedemption(sys.config()));
    feed = new UpstreamFeed(sys);
    JS = await feed.programme('JS', { budgetFen: 1_000_000_000 });
    ZJ = await feed.programme('ZJ', { budgetFen: 1_000_000_000, mode: 'enterprise_reimbursed' });
    provider = await feed.provider({ province: 'AH', legalName: '安徽测试研究院', unitName: '分析测试中心' });
    jsEnt = await feed.enterprise('JS', { name: '苏州示范科技有限公司' });
    zjEnt = await feed.enterprise('ZJ', { name: '杭州示范科技有限公司' });
    await feed.quota(jsEnt.id, JS, 10_000_000);
    await feed.quota(zjEnt.id, ZJ, 10_000_000);
  });
  afterAll(async () => sys?.stop());

  /** A paid and completed order of `amount`. */
  async function completed(e: TestEnterprise, amount = 1_000_000) {
    const order = await confirmedOrder(sys.client, provider, e, amount);
    await sys.client.ok(S.orderPay, { orderId: order.id }, { principal: e.principal, idempotencyKey: ikey() });
    return sys.client.ok(S.orderComplete, { orderId: order.id }, { principal: provider.principal, idempotencyKey: ikey() });
  }

  const evidence = (orderId: string, overrides: Record<string, unknown> = {}) => ({
    orderId,
    contractRef: 'HT-2026-0001',
    invoiceNumber: invoiceNo(),
    invoiceAmountFen: 1_000_000,
    bankTransferRef: 'BANK-TX-88',
    bankAmountFen: 750_000,
    ...overrides,
  });

  it('R-CLAIM-1: after completion the provider (provider_redeems) claims V with contract, invoice and bank transfer; settlement gets everything it needs', async () => {
    const order = await completed(jsEnt);
    const body = evidence(order.id);
    const claim = await sys.client.ok(S.claimSubmit, body, { principal: provider.principal, idempotencyKey: ikey() });
    expect(claim).toMatchObject({
      orderId: order.id,
      status: 'pending_review',
      payeeType: 'provider',
      payeeId: provider.id,
      amountFen: 1_000_000,
      voucherFen: 250_000,
      owedFen: 750_000,
      invoiceNumber: body.invoiceNumber,
      programmeVersion: 1,
      mode: 'provider_redeems',
      revision: 1,
    });
    await feed.until(async () => (await sql(sys.db.url, `SELECT 1 FROM redemption.outbox WHERE aggregate_id = $1 AND published_at IS NOT NULL`, [claim.id])).length > 0, 'claim event relayed');
    const [{ envelope }] = await sql(sys.db.url, `SELECT envelope FROM redemption.outbox WHERE aggregate_id = $1 AND subject = $2`, [claim.id, Events.claimSubmitted]);
    expect(envelope.payload).toMatchObject({
      claimId: claim.id,
      orderId: order.id,
      programmeId: JS,
      programmeVersion: 1,
      mode: 'provider_redeems',
      enterpriseId: jsEnt.id,
      enterpriseName: '苏州示范科技有限公司',
      enterpriseRegionId: jsEnt.regionId,
      providerId: provider.id,
      providerName: '安徽测试研究院 分析测试中心',
      providerCreditCode: provider.creditCode,
      providerProvince: 'AH',
      payeeType: 'provider',
      payeeId: provider.id,
      amountFen: 1_000_000,
      voucherFen: 250_000,
      invoiceNumber: body.invoiceNumber,
      status: 'pending_review',
    });
    expect(envelope.payload.submittedAt).toEqual(claim.submittedAt);
  });

  it('R-CLAIM-1: in enterprise_reimbursed the enterprise claims and is the payee; the bank transfer must show all of A', async () => {
    const order = await completed(zjEnt);
    expect(order).toMatchObject({ voucherFen: 250_000, enterprisePaysFen: 1_000_000 });
    const byProvider = await sys.client.call(S.claimSubmit, evidence(order.id, { bankAmountFen: 1_000_000 }), { principal: provider.principal, idempotencyKey: ikey() });
    expect(byProvider).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', field: 'orderId' } });
    const short = await sys.client.call(S.claimSubmit, evidence(order.id, { bankAmountFen: 750_000 }), { principal: zjEnt.principal, idempotencyKey: ikey() });
    expect(short).toMatchObject({ ok: false, error: { code: 'BANK_AMOUNT_INSUFFICIENT', field: 'bankAmountFen', details: { owedFen: '1000000' } } });
    const claim = await sys.client.ok(S.claimSubmit, evidence(order.id, { bankAmountFen: 1_000_000 }), { principal: zjEnt.principal, idempotencyKey: ikey() });
    expect(claim).toMatchObject({ payeeType: 'enterprise', payeeId: zjEnt.id, owedFen: 1_000_000, mode: 'enterprise_reimbursed' });
  });

  it('R-CLAIM-2: the invoice amount must equal A; the bank amount must cover what the enterprise owed (A − V); nothing is written on refusal', async () => {
    const order = await completed(jsEnt);
    const before = await rowCounts(sys.db.url, 'redemption');
    const wrongInvoice = await sys.client.call(S.claimSubmit, evidence(order.id, { invoiceAmountFen: 999_999 }), { principal: provider.principal, idempotencyKey: ikey() });
    expect(wrongInvoice).toMatchObject({ ok: false, error: { code: 'INVOICE_AMOUNT_MISMATCH', field: 'invoiceAmountFen' } });
    const shortBank = await sys.client.call(S.claimSubmit, evidence(order.id, { bankAmountFen: 749_999 }), { principal: provider.principal, idempotencyKey: ikey() });
    expect(shortBank).toMatchObject({ ok: false, error: { code: 'BANK_AMOUNT_INSUFFICIENT', field: 'bankAmountFen' } });
    expect(await rowCounts(sys.db.url, 'redemption')).toEqual(before);
    // more than owed is fine (e.g. fees paid together)
    const ok = await sys.client.call(S.claimSubmit, evidence(order.id, { bankAmountFen: 800_000 }), { principal: provider.principal, idempotencyKey: ikey() });
    expect(ok).toMatchObject({ ok: true });
  });

  it('R-CLAIM-1: a claim follows completion; before it, and for another organisation, it is refused', async () => {
    const order = await confirmedOrder(sys.client, provider, jsEnt, 1_000_000);
    await sys.client.ok(S.orderPay, { orderId: order.id }, { principal: jsEnt.principal, idempotencyKey: ikey() });
    expect(await sys.client.call(S.claimSubmit, evidence(order.id), { principal: provider.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'ILLEGAL_STATE', field: 'orderId' },
    });
    const stranger = await feed.provider();
    expect(await sys.client.call(S.claimSubmit, evidence(order.id), { principal: stranger.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', field: 'orderId' },
    });
  });

  it('R-CLAIM-3: one claim per order (CLAIM_EXISTS); a retry with the same key returns the first claim', async () => {
    const order = await completed(jsEnt);
    const body = evidence(order.id);
    const key = ikey();
    const first = await sys.client.call(S.claimSubmit, body, { principal: provider.principal, idempotencyKey: key });
    const retry = await sys.client.call(S.claimSubmit, body, { principal: provider.principal, idempotencyKey: key });
    expect(retry).toEqual(first);
    const second = await sys.client.call(S.claimSubmit, evidence(order.id), { principal: provider.principal, idempotencyKey: ikey() });
    expect(second).toMatchObject({ ok: false, error: { code: 'CLAIM_EXISTS', field: 'orderId' } });
  });

  it('R-CLAIM-2: an invoice number backs one claim in the whole delta — a second, in another programme, is refused with DUPLICATE_INVOICE and recorded durably', async () => {
    const jsOrder = await completed(jsEnt);
    const zjOrder = await completed(zjEnt);
    const number = invoiceNo();
    const first = await sys.client.ok(S.claimSubmit, evidence(jsOrder.id, { invoiceNumber: number }), { principal: provider.principal, idempotencyKey: ikey() });
    const key = ikey();
    // the same number written with separators and full-width digits is the same invoice
    const spaced = fullWidth(`${number.slice(0, 4)}-${number.slice(4, 12)} ${number.slice(12)}`);
    const dup = await sys.client.call(S.claimSubmit, evidence(zjOrder.id, { invoiceNumber: spaced, bankAmountFen: 1_000_000 }), {
      principal: zjEnt.principal,
      idempotencyKey: key,
    });
    expect(dup).toMatchObject({ ok: false, error: { code: 'DUPLICATE_INVOICE', field: 'invoiceNumber' } });
    expect(JSON.stringify(dup)).not.toContain(first.id); // the other claim is not disclosed
    const again = await sys.client.call(S.claimSubmit, evidence(zjOrder.id, { invoiceNumber: spaced, bankAmountFen: 1_000_000 }), {
      principal: zjEnt.principal,
      idempotencyKey: key,
    });
    expect(again).toEqual(dup);
    // the refused claim wrote nothing, but the attempt is kept (once), with an audit record; the other
    // claim is another party's (the provider's, for another enterprise): not flagged, no event
    expect(await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.claims WHERE order_id = $1`, [zjOrder.id])).toEqual([{ n: 0 }]);
    const flags = await sql(sys.db.url, `SELECT order_id, existing_claim_id, flagged_by_org, flags_existing FROM redemption.invoice_flags WHERE order_id = $1`, [zjOrder.id]);
    expect(flags).toEqual([{ order_id: zjOrder.id, existing_claim_id: first.id, flagged_by_org: zjEnt.id, flags_existing: false }]);
    const audit = await sys.client.ok(S.auditList, { entityType: 'order', entityId: zjOrder.id }, { principal: auditor });
    expect(audit.items.filter((a: { action: string }) => a.action === 'claim.flagged')).toHaveLength(1);
    expect(await sql(sys.db.url, `SELECT 1 FROM redemption.outbox WHERE subject = $1 AND aggregate_id = $2`, [Events.claimFlagged, zjOrder.id])).toEqual([]);
  });

  it('R-CLAIM-2: an invoice of no form in use is refused with the field; a VAT invoice is its code and number together', async () => {
    for (const [fields, field] of [
      [{ invoiceNumber: 'INV-2026-0001' }, 'invoiceNumber'],
      [{ invoiceNumber: '2632100000000000123' }, 'invoiceNumber'], // 19 digits
      [{ invoiceNumber: '12345678', invoiceCode: '32001941' }, 'invoiceCode'],
    ] as const) {
      const order = await completed(jsEnt);
      expect(await sys.client.call(S.claimSubmit, evidence(order.id, fields), { principal: provider.principal, idempotencyKey: ikey() })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED', field },
      });
    }
    const code = `3200${String(Date.now()).slice(-6)}`;
    const [a, b, c] = [await completed(jsEnt), await completed(jsEnt), await completed(jsEnt)];
    const vat = await sys.client.ok(S.claimSubmit, evidence(a.id, { invoiceNumber: '1234-5678', invoiceCode: code }), { principal: provider.principal, idempotencyKey: ikey() });
    expect(vat).toMatchObject({ invoiceNumber: '1234-5678', invoiceCode: code });
    // "12345678" under the same code is the same invoice; under another code another invoice
    expect(await sys.client.call(S.claimSubmit, evidence(b.id, { invoiceNumber: '12345678', invoiceCode: code }), { principal: provider.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'DUPLICATE_INVOICE' },
    });
    expect(
      await sys.client.call(S.claimSubmit, evidence(c.id, { invoiceNumber: '12345678', invoiceCode: `${Number(code) + 1}` }), { principal: provider.principal, idempotencyKey: ikey() }),
    ).toMatchObject({ ok: true });
  });

  it("R-CLAIM-2: another provider citing a provider's invoice is refused and recorded, but cannot hold that provider's claim back (no flag on it)", async () => {
    const mine = await sys.client.ok(S.claimSubmit, evidence((await completed(jsEnt)).id), { principal: provider.principal, idempotencyKey: ikey() });
    const rival = await feed.provider({ province: 'SH', legalName: '上海另一家检测公司', unitName: '检测部' });
    const order = await confirmedOrder(sys.client, rival, jsEnt, 1_000_000);
    await sys.client.ok(S.orderPay, { orderId: order.id }, { principal: jsEnt.principal, idempotencyKey: ikey() });
    await sys.client.ok(S.orderComplete, { orderId: order.id }, { principal: rival.principal, idempotencyKey: ikey() });
    const dup = await sys.client.call(S.claimSubmit, evidence(order.id, { invoiceNumber: mine.invoiceNumber }), { principal: rival.principal, idempotencyKey: ikey() });
    expect(dup).toMatchObject({ ok: false, error: { code: 'DUPLICATE_INVOICE', field: 'invoiceNumber' } });
    // recorded for inspection, as not flagging the other claim; no claim.flagged event names it
    expect(await sql(sys.db.url, `SELECT existing_claim_id, flags_existing FROM redemption.invoice_flags WHERE order_id = $1`, [order.id])).toEqual([
      { existing_claim_id: mine.id, flags_existing: false },
    ]);
    expect(await sql(sys.db.url, `SELECT 1 FROM redemption.outbox WHERE subject = $1 AND aggregate_id = $2`, [Events.claimFlagged, order.id])).toEqual([]);
    // an amendment citing it fares the same
    const own = await sys.client.ok(S.claimSubmit, evidence((await confirmedOrder(sys.client, rival, jsEnt, 1_000_000).then(async (o) => {
      await sys.client.ok(S.orderPay, { orderId: o.id }, { principal: jsEnt.principal, idempotencyKey: ikey() });
      return sys.client.ok(S.orderComplete, { orderId: o.id }, { principal: rival.principal, idempotencyKey: ikey() });
    })).id), { principal: rival.principal, idempotencyKey: ikey() });
    const amend = await sys.client.call(S.claimAmend, { claimId: own.id, invoiceNumber: mine.invoiceNumber, reason: 'x' }, { principal: rival.principal, idempotencyKey: ikey() });
    expect(amend).toMatchObject({ ok: false, error: { code: 'DUPLICATE_INVOICE' } });
    expect(await sql(sys.db.url, `SELECT 1 FROM redemption.outbox WHERE subject = $1`, [Events.claimFlagged]).then((r) => r.length)).toBe(
      (await sql(sys.db.url, `SELECT 1 FROM redemption.invoice_flags WHERE flags_existing`)).length,
    );
  });

  it('R-CLAIM-2: two claims racing with one invoice number → exactly one is accepted, the other flagged', async () => {
    const [a, b] = [await completed(jsEnt), await completed(jsEnt)];
    const number = invoiceNo();
    const replies = await Promise.all(
      [a, b].map((o) => sys.client.call(S.claimSubmit, evidence(o.id, { invoiceNumber: number }), { principal: provider.principal, idempotencyKey: ikey() })),
    );
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    expect(replies.filter((r) => !r.ok)).toMatchObject([{ ok: false, error: { code: 'DUPLICATE_INVOICE' } }]);
    const [{ n }] = await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.invoice_flags WHERE order_id = ANY($1::uuid[]) AND flags_existing`, [[a.id, b.id]]);
    expect(n).toBe(1);
    // the same provider claimed one invoice twice: the claim holding it is flagged for inspection (an event to settlement)
    const winner = replies.find((r) => r.ok)!.data;
    const loser = winner.orderId === a.id ? b : a;
    await feed.until(async () => (await sql(sys.db.url, `SELECT 1 FROM redemption.outbox WHERE subject = $1 AND aggregate_id = $2 AND published_at IS NOT NULL`, [Events.claimFlagged, loser.id])).length > 0, 'flag event');
    const [{ envelope }] = await sql(sys.db.url, `SELECT envelope FROM redemption.outbox WHERE subject = $1 AND aggregate_id = $2`, [Events.claimFlagged, loser.id]);
    expect(envelope.payload).toMatchObject({ invoiceNumber: number, orderId: loser.id, programmeId: JS, existingClaimId: winner.id, existingProgrammeId: JS });
  });

  /** Settlement's answer to an amendment, as its projection sends it (settlement.amendment-accepted / -refused). */
  const answer = (claimId: string, revision: number, accepted: boolean, reason?: string) =>
    feed.publish(accepted ? Events.settlementAmendmentAccepted : Events.settlementAmendmentRefused, claimId, {
      claimId,
      revision,
      state: accepted ? 'pending' : 'approved',
      ...(reason ? { reason } : {}),
    });
  const claimNow = (id: string) => sys.client.ok(S.claimGet, { claimId: id }, { principal: auditor });

  it('R-CLAIM-3, R-CLAIM-2: an amendment is a proposal until settlement accepts it; both invoices stay held meanwhile; accepted, the claim takes the new evidence and the old invoice is free', async () => {
    const order = await completed(jsEnt);
    const claim = await sys.client.ok(S.claimSubmit, evidence(order.id), { principal: provider.principal, idempotencyKey: ikey() });
    const newNumber = invoiceNo();
    const bad = await sys.client.call(S.claimAmend, { claimId: claim.id, invoiceAmountFen: 1, reason: 'typo' }, { principal: provider.principal, idempotencyKey: ikey() });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVOICE_AMOUNT_MISMATCH' } });
    const nothing = await sys.client.call(S.claimAmend, { claimId: claim.id, reason: 'nothing' }, { principal: provider.principal, idempotencyKey: ikey() });
    expect(nothing).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const amended = await sys.client.ok(S.claimAmend, { claimId: claim.id, invoiceNumber: newNumber, contractRef: 'HT-2026-0001-A', reason: '发票重开' }, {
      principal: provider.principal,
      idempotencyKey: ikey(),
    });
    // the claim keeps its evidence; the amendment is proposed
    expect(amended).toMatchObject({
      id: claim.id,
      invoiceNumber: claim.invoiceNumber,
      contractRef: claim.contractRef,
      revision: 1,
      status: 'pending_review',
      amendment: { status: 'proposed', revision: 2, reason: null, proposed: { invoiceNumber: newNumber, contractRef: 'HT-2026-0001-A', reason: '发票重开', revision: 2 } },
    });
    // both invoices are held: neither backs another claim; a second amendment waits for the answer
    for (const n of [claim.invoiceNumber, newNumber]) {
      const other = await completed(jsEnt);
      expect(await sys.client.call(S.claimSubmit, evidence(other.id, { invoiceNumber: n }), { principal: provider.principal, idempotencyKey: ikey() })).toMatchObject({
        ok: false,
        error: { code: 'DUPLICATE_INVOICE' },
      });
    }
    expect(await sys.client.call(S.claimAmend, { claimId: claim.id, contractRef: 'HT-B', reason: 'again' }, { principal: provider.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'ILLEGAL_STATE', field: 'claimId' },
    });
    // the enterprise cannot amend a provider's claim
    expect(await sys.client.call(S.claimAmend, { claimId: claim.id, contractRef: 'x', reason: 'x' }, { principal: jsEnt.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    // settlement got the claim as it would stand, at revision 2
    const [{ envelope }] = await sql(sys.db.url, `SELECT envelope FROM redemption.outbox WHERE aggregate_id = $1 AND subject = $2`, [claim.id, Events.claimAmended]);
    expect(envelope.payload).toMatchObject({ claimId: claim.id, invoiceNumber: newNumber, contractRef: 'HT-2026-0001-A', revision: 2, voucherFen: claim.voucherFen });

    await answer(claim.id, 2, true);
    await feed.until(async () => (await claimNow(claim.id)).amendment.status === 'accepted', 'the acceptance applied');
    expect(await claimNow(claim.id)).toMatchObject({ invoiceNumber: newNumber, contractRef: 'HT-2026-0001-A', revision: 2, amendment: { status: 'accepted', revision: 2 } });
    // the old number is free again, the new one held
    const other = await completed(jsEnt);
    expect(await sys.client.call(S.claimSubmit, evidence(other.id, { invoiceNumber: claim.invoiceNumber }), { principal: provider.principal, idempotencyKey: ikey() })).toMatchObject({ ok: true });
    const audit = await sys.client.ok(S.auditList, { entityType: 'claim', entityId: claim.id }, { principal: auditor });
    expect(audit.items.map((a: { action: string }) => a.action)).toEqual(['claim.submitted', 'claim.amendment-proposed', 'claim.amendment-accepted']);
    expect(audit.items[1]).toMatchObject({ reason: '发票重开', principalOrg: provider.id });
  });

  it('R-CLAIM-3: an amendment settlement refuses (the claim is past review in its run) leaves the claim as it was, with the refusal shown; the proposed invoice is free again; an old answer changes nothing', async () => {
    const claim = await sys.client.ok(S.claimSubmit, evidence((await completed(jsEnt)).id), { principal: provider.principal, idempotencyKey: ikey() });
    const proposed = invoiceNo();
    await sys.client.ok(S.claimAmend, { claimId: claim.id, invoiceNumber: proposed, reason: '发票重开' }, { principal: provider.principal, idempotencyKey: ikey() });
    await answer(claim.id, 2, false, 'the claim is past review (approved) in its run');
    await feed.until(async () => (await claimNow(claim.id)).amendment.status === 'refused', 'the refusal applied');
    expect(await claimNow(claim.id)).toMatchObject({
      invoiceNumber: claim.invoiceNumber,
      revision: 1,
      amendment: { status: 'refused', revision: 2, reason: 'the claim is past review (approved) in its run', proposed: { invoiceNumber: proposed } },
    });
    const other = await completed(jsEnt);
    expect(await sys.client.call(S.claimSubmit, evidence(other.id, { invoiceNumber: proposed }), { principal: provider.principal, idempotencyKey: ikey() })).toMatchObject({ ok: true });
    // the next amendment is revision 3; an answer for revision 2 arriving again does nothing
    const third = await sys.client.ok(S.claimAmend, { claimId: claim.id, contractRef: 'HT-C', reason: 'c' }, { principal: provider.principal, idempotencyKey: ikey() });
    expect(third.amendment).toMatchObject({ status: 'proposed', revision: 3 });
    await answer(claim.id, 2, true);
    await answer(claim.id, 3, true);
    await feed.until(async () => (await claimNow(claim.id)).amendment.status === 'accepted', 'revision 3 accepted');
    expect(await claimNow(claim.id)).toMatchObject({ contractRef: 'HT-C', invoiceNumber: claim.invoiceNumber, revision: 3 });
  });

  async function settle(type: string, claim: { id: string; orderId: string; programmeId: string; voucherFen: number }, reason?: string) {
    // As settlement writes them: approved and paid name the claims alone (SETTLEMENT_DETAILED_DECISIONS)
    const payload: SettlementClaimsEvent = SETTLEMENT_DETAILED_DECISIONS.includes(type)
      ? { runId: RUN_1, programmeId: claim.programmeId, claimIds: [claim.id], orderIds: [claim.orderId], voucherFen: [claim.voucherFen], reasons: [reason ?? null] }
      : { runId: RUN_1, programmeId: claim.programmeId, claimIds: [claim.id] };
    await feed.publish(type, RUN_1, payload);
  }
  const claimStatus = async (id: string) => (await sys.client.ok(S.claimGet, { claimId: id }, { principal: auditor })).status;

  it('settlement: a rejected claim gives V back to the programme budget (budget_returned); an approved one can no longer be amended; a paid one is marked paid', async () => {
    const [o1, o2] = [await completed(jsEnt), await completed(jsEnt)];
    const c1 = await sys.client.ok(S.claimSubmit, evidence(o1.id), { principal: provider.principal, idempotencyKey: ikey() });
    const c2 = await sys.client.ok(S.claimSubmit, evidence(o2.id), { principal: provider.principal, idempotencyKey: ikey() });
    const before = await feed.balance(JS, jsEnt.id);

    await settle(Events.settlementClaimRejected, c1, '发票与合同不符');
    await feed.until(async () => (await claimStatus(c1.id)) === 'rejected', 'rejection applied');
    const after = await feed.balance(JS, jsEnt.id);
    expect(BigInt(after.ok && after.data.budget.leftFen) - BigInt(before.ok && before.data.budget.leftFen)).toBe(250_000n);
    expect(after.ok && after.data.quota).toEqual(before.ok && before.data.quota); // only the budget gets V back
    const rejected = await sys.client.ok(S.claimGet, { claimId: c1.id }, { principal: provider.principal });
    expect(rejected).toMatchObject({ status: 'rejected', decisionReason: '发票与合同不符' });
    // a repeated or stale rejection changes nothing
    await settle(Events.settlementClaimRejected, c1, 'again');
    await settle(Events.settlementClaimApproved, c2);
    await feed.until(async () => (await claimStatus(c2.id)) === 'approved', 'approval applied');
    expect(await feed.balance(JS, jsEnt.id)).toEqual(after);
    expect(await sys.client.call(S.claimAmend, { claimId: c2.id, contractRef: 'x', reason: 'late' }, { principal: provider.principal, idempotencyKey: ikey() })).toMatchObject({
      ok: false,
      error: { code: 'ILLEGAL_STATE' },
    });
    await settle(Events.settlementClaimPaid, c2);
    await feed.until(async () => (await claimStatus(c2.id)) === 'paid', 'payment applied');
    const audit = await sys.client.ok(S.auditList, { entityType: 'claim', entityId: c1.id }, { principal: auditor });
    expect(audit.items.map((a: { action: string }) => a.action)).toEqual(['claim.submitted', 'claim.rejected']);
    expect(audit.items[1]).toMatchObject({ principalRole: 'service', principalOrg: 'settlement', reason: '发票与合同不符' });
    const [returned] = await sql(sys.db.url, `SELECT count(*)::int AS n, sum(amount_fen)::bigint AS fen FROM redemption.ledger_entries WHERE entry_type = 'budget_returned' AND order_id = $1`, [o1.id]);
    expect(returned).toEqual({ n: 1, fen: 250_000n });
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('R-CLAIM-3: settlement decisions delivered out of order end as settlement decided them last (returned in a later run after an approval)', async () => {
    const o = await completed(jsEnt);
    const c = await sys.client.ok(S.claimSubmit, evidence(o.id), { principal: provider.principal, idempotencyKey: ikey() });
    const handled = (eventId: string) =>
      feed.until(async () => (await sql(sys.db.url, `SELECT 1 FROM redemption.processed_events WHERE consumer = 'redemption-settlement' AND event_id = $1`, [eventId])).length > 0, 'decision handled');
    const decide = (type: string, at: string) =>
      feed.publish(type, RUN_1, SETTLEMENT_DETAILED_DECISIONS.includes(type)
        ? { runId: RUN_1, programmeId: c.programmeId, claimIds: [c.id], orderIds: [c.orderId], voucherFen: [c.voucherFen], reasons: ['请补充发票'] }
        : { runId: RUN_1, programmeId: c.programmeId, claimIds: [c.id] }, new Date(at));
    // approved by one run (10-09), returned by a later one (01-08): the return arrives first
    await handled(await decide(Events.settlementClaimReturned, '2027-01-08T10:00:00+08:00'));
    await handled(await decide(Events.settlementClaimApproved, '2026-10-09T10:00:00+08:00'));
    expect(await claimStatus(c.id)).toBe('returned');
    // a later approval (after the amendment) applies
    await handled(await decide(Events.settlementClaimApproved, '2027-04-09T10:00:00+08:00'));
    expect(await claimStatus(c.id)).toBe('approved');
  });

  it('settlement: one event decides a chunk of claims set-wise — each claim it applies to moves once, with its own audit and budget return; the rest are left alone', async () => {
    const orders = [await completed(jsEnt), await completed(jsEnt), await completed(jsEnt)];
    const claims = [];
    for (const o of orders) claims.push(await sys.client.ok(S.claimSubmit, evidence(o.id), { principal: provider.principal, idempotencyKey: ikey() }));
    const [c1, c2, c3] = claims;
    await settle(Events.settlementClaimPaid, c3);
    await feed.until(async () => (await claimStatus(c3.id)) === 'paid', 'payment applied');
    const before = await feed.balance(JS, jsEnt.id);

    // a chunk with a malformed entry does not validate: refused whole (quarantined), nothing moves
    const malformed: SettlementClaimsEvent = {
      runId: RUN_2,
      programmeId: JS,
      claimIds: [c1.id, 'not-a-claim', c2.id],
      orderIds: [c1.orderId, 'x', c2.orderId],
      voucherFen: [c1.voucherFen, 1, c2.voucherFen],
      reasons: ['合同缺失', null, '发票不符'],
    };
    const refusedId = await feed.publish(Events.settlementClaimRejected, RUN_2, malformed);
    await feed.until(async () => (await sql(sys.db.url, `SELECT 1 FROM redemption.quarantined_events WHERE event_id = $1 AND reason = 'invalid_payload'`, [refusedId])).length > 0, 'malformed chunk quarantined');
    expect([await claimStatus(c1.id), await claimStatus(c2.id)]).toEqual(['pending_review', 'pending_review']);

    // a paid claim is past rejection: of a chunk naming it, the others move
    const chunk: SettlementClaimsEvent = {
      runId: RUN_2,
      programmeId: JS,
      claimIds: [c1.id, c2.id, c3.id],
      orderIds: [c1.orderId, c2.orderId, c3.orderId],
      voucherFen: [c1.voucherFen, c2.voucherFen, c3.voucherFen],
      reasons: ['合同缺失', '发票不符', 'too late'],
    };
    await feed.publish(Events.settlementClaimRejected, RUN_2, chunk);
    await feed.until(async () => (await claimStatus(c2.id)) === 'rejected', 'chunk applied');
    expect(await claimStatus(c1.id)).toBe('rejected');
    expect(await claimStatus(c3.id)).toBe('paid');
    const after = await feed.balance(JS, jsEnt.id);
    expect(BigInt(after.ok && after.data.budget.leftFen) - BigInt(before.ok && before.data.budget.leftFen)).toBe(BigInt(c1.voucherFen) + BigInt(c2.voucherFen));
    for (const [c, reason] of [[c1, '合同缺失'], [c2, '发票不符']] as const) {
      const audit = await sys.client.ok(S.auditList, { entityType: 'claim', entityId: c.id }, { principal: auditor });
      expect(audit.items.map((x: { action: string }) => x.action)).toEqual(['claim.submitted', 'claim.rejected']);
      expect(audit.items[1]).toMatchObject({ reason, principalOrg: 'settlement', data: { runId: RUN_2, previousStatus: 'pending_review' } });
      expect((await sys.client.ok(S.claimGet, { claimId: c.id }, { principal: provider.principal })).decisionReason).toBe(reason);
    }
    const c3Audit = await sys.client.ok(S.auditList, { entityType: 'claim', entityId: c3.id }, { principal: auditor });
    expect(c3Audit.items.map((x: { action: string }) => x.action)).toEqual(['claim.submitted', 'claim.paid']);
    const [returned] = await sql(sys.db.url, `SELECT count(*)::int AS n FROM redemption.ledger_entries WHERE entry_type = 'budget_returned' AND order_id = ANY($1::uuid[])`, [
      orders.map((o) => o.id),
    ]);
    expect(returned.n).toBe(2);
    expect(await ledgerDifferences(sys.db.url)).toEqual([]);
  });

  it('claims are listed for their parties and the programme operator only', async () => {
    const mine = await sys.client.ok(S.claimList, { limit: 500 }, { principal: zjEnt.principal });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((c: { enterpriseId: string }) => c.enterpriseId === zjEnt.id)).toBe(true);
    const op = await sys.client.ok(S.claimList, { limit: 500 }, { principal: operatorOf('ZJ') });
    expect(op.items.every((c: { programmeId: string }) => c.programmeId === ZJ)).toBe(true);
    const stranger = await feed.enterprise('JS');
    expect((await sys.client.ok(S.claimList, {}, { principal: stranger.principal })).items).toEqual([]);
  });
});
