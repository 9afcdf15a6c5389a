import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Principal, Role, Subjects } from '@vc/contracts';
import { rowCounts, sql, testSecretsDir, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { settlementService } from '../../../apps/settlement/src/settlement.module';
import { formatReport, runLedgerChecks } from '../../../scripts/ledger/ledger-check';
import { newCreditCode } from '../../fixtures/credit-codes';
import { camt054, iso20022SchemaDir, pain002, readPain001, SentFile, xsdErrors } from '../../fixtures/bank';
import { auditor, deltaOperator, operatorOf } from '../../fixtures/principals';
import { claim, enterpriseIn, feedClaims, feedProgramme, feedRegion, key, provider, Provider, setNow, SIMULATED } from './feed';

const S = Subjects.settlement;

jest.setTimeout(120_000);

const schemas = iso20022SchemaDir();
if (!schemas) {
  console.warn('tests/integration/settlement/bank-payments: the ISO 20022 schemas are not in ../shared/iso20022 nor ISO20022_XSD_DIR; the XSD validation is skipped (tests/fixtures/README-iso20022.md)');
}
const withSchemas = schemas ? it : it.skip;

/**
 * SPEC 5.6 step 3, R-PAY-1, R-LEDGER-1: a run's payment instructions go to the bank as an ISO 20022
 * pain.001 file (valid against the official schema); the bank's answers (pain.002, camt.054) settle
 * or return them with the bank's reason; a returned payment waits for the payee's corrected details
 * and is paid in the programme's next run exactly once; the ledger identities hold throughout
 * (instructed = settled + returned + outstanding; nothing paid twice).
 */
describe('settlement: payments through the bank (pain.001 out, pain.002 / camt.054 in)', () => {
  let sys: TestSystem;
  let app: INestApplication;
  let gateway: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  const JS = operatorOf('JS');
  const as = (p: Principal) => `Bearer ${tokenFor(p)}`;
  const unit = (p: Provider): Principal => ({ sub: `sys-${p.id}`, role: Role.Provider, org: p.id });
  const legalEntity = (p: Provider): Principal => ({ sub: `acct-${p.creditCode}`, role: Role.Provider, org: p.creditCode });
  let region: string;
  const [centre, lab, college] = [provider('SH', '上海示范大学分析测试中心'), provider('ZJ', '浙江示范研究院重点实验室'), provider('JS', '南京示范大学材料学院')];
  const runs: Record<string, string> = {};
  const files: Record<string, SentFile> = {};
  const xml: Record<string, string> = {};

  const account = (owner: Principal, ownerType: string, ownerId: string, body: Record<string, unknown>) =>
    http.put(`/v1/settlement/bank-accounts/${ownerType}/${ownerId}`).set('Authorization', as(owner)).set('Idempotency-Key', key()).send(body);
  const importReport = (content: string, who: Principal = JS) => http.post('/v1/settlement/bank-reports').set('Authorization', as(who)).set('Idempotency-Key', key()).send({ content });
  const runView = async (runId: string) => (await http.get(`/v1/settlement/runs/${runId}`).set('Authorization', as(JS)).expect(200)).body;
  const instructions = async (runId: string) => (await http.get(`/v1/settlement/runs/${runId}/instructions`).set('Authorization', as(JS)).expect(200)).body.items;
  const ledger = async () => {
    const report = await runLedgerChecks(sys.db.url);
    const differs = report.filter((r) => r.status === 'differs');
    if (differs.length) console.log(formatReport(report));
    return differs;
  };

  /** A quarter's run of JS-2026: claims of the three providers, approved, published, disbursed after the window. */
  async function settleQuarter(quarter: string, submittedAt: string, startAt: string, disburseAt: string): Promise<string> {
    await feedClaims(
      sys,
      [centre, lab, college].map((p, i) => claim('JS-2026', enterpriseIn(region), p, 1_000_000 * (i + 1), submittedAt)),
    );
    setNow(app, startAt);
    const run = await sys.client.ok(S.runStart, { programmeId: 'JS-2026', quarter, sampleRateBp: 0 }, { principal: JS, idempotencyKey: key() });
    await sys.client.ok(S.runReview, { runId: run.id, approveAll: true }, { principal: JS, idempotencyKey: key() });
    await sys.client.ok(S.runPublish, { runId: run.id }, { principal: JS, idempotencyKey: key() });
    setNow(app, disburseAt);
    expect((await sys.client.ok(S.runDisburse, { runId: run.id }, { principal: JS })).state).toBe('completed');
    return run.id;
  }

  async function download(runId: string): Promise<string> {
    const res = await http.get(`/v1/settlement/runs/${runId}/exports/instructions.xml`).set('Authorization', as(JS)).buffer(true).parse((r, cb) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (d: string) => (text += d));
      r.on('end', () => cb(null, text));
    });
    expect([res.status, res.headers['content-type']]).toEqual([200, 'application/xml; charset=utf-8']);
    return res.body as string;
  }

  beforeAll(async () => {
    sys = await TestSystem.start();
    app = await sys.startService(settlementService, SIMULATED);
    gateway = await bootstrapGateway(sys.config(), false);
    http = request(gateway.getHttpServer());
    await feedProgramme(sys, 'JS-2026');
    region = await feedRegion(sys, 'JS');
  });
  afterAll(async () => {
    await gateway?.close();
    await sys?.stop();
  });

  it('accounts: the programme operator gives its paying account, a payee its own receiving account; nobody else, and bad details are refused by field', async () => {
    await account(JS, 'programme', 'JS-2026', { holderName: '江苏省科技资源统筹服务中心', holderCreditCode: newCreditCode(), accountNumber: '32001881236052500001', bankName: '中国建设银行南京城南支行', bankCode: '105301000123' }).expect(200);
    await account(operatorOf('ZJ'), 'programme', 'JS-2026', { holderName: 'x', accountNumber: '12345678', bankName: 'x', bankCode: '105301000123' }).expect(403);
    await account(unit(centre), 'provider', centre.id, { holderName: centre.name, accountNumber: '31001600000050011111', bankName: '中国工商银行上海徐汇支行', bankCode: '102290000111', holderCreditCode: centre.creditCode }).expect(200);
    await account(unit(lab), 'provider', lab.id, { holderName: lab.name, accountNumber: '33001600000050022222', bankName: '中国银行杭州西湖支行', bankCode: '104331000222' }).expect(200);
    // another provider, an operator, an auditor cannot give a provider's account; the legal entity not before settlement knows the unit is its own
    await account(unit(college), 'provider', centre.id, { holderName: 'x', accountNumber: '12345678', bankName: 'x', bankCode: '102290000111' }).expect(404);
    await account(auditor, 'provider', centre.id, { holderName: 'x', accountNumber: '12345678', bankName: 'x', bankCode: '102290000111' }).expect(403);
    await account(legalEntity(college), 'provider', college.id, { holderName: 'x', accountNumber: '12345678', bankName: 'x', bankCode: '102290000111' }).expect(404);
    const before = await rowCounts(sys.db.url, 'settlement');
    expect((await account(unit(college), 'provider', college.id, { holderName: 'x', accountNumber: '1234-5678', bankName: 'x', bankCode: '102290000111' }).expect(400)).body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'accountNumber' });
    expect((await account(unit(college), 'provider', college.id, { holderName: 'x', accountNumber: '12345678', bankName: 'x', bankCode: 'ICBKCNBJ' }).expect(400)).body).toMatchObject({ field: 'bankCode' });
    expect(await rowCounts(sys.db.url, 'settlement')).toEqual(before);
    // the same details again change nothing; reads: the holder, programme operators, the desk
    expect((await account(unit(lab), 'provider', lab.id, { holderName: lab.name, accountNumber: '33001600000050022222', bankName: '中国银行杭州西湖支行', bankCode: '104331000222' }).expect(200)).body).toMatchObject({ version: 1, changed: false });
    expect((await http.get(`/v1/settlement/bank-accounts/provider/${lab.id}`).set('Authorization', as(operatorOf('AH'))).expect(200)).body).toMatchObject({ version: 1, bankCode: '104331000222' });
    await http.get(`/v1/settlement/bank-accounts/provider/${lab.id}`).set('Authorization', as(unit(centre))).expect(404);
  });

  it('R-PAY-1: the 2026Q1 run writes one instruction per payee for its account on file, holds the one without, and its pain.001 file is the same however often it is downloaded', async () => {
    runs.q1 = await settleQuarter('2026Q1', '2026-03-10T10:00:00+08:00', '2026-04-07T10:00:00+08:00', '2026-04-20T10:00:00+08:00');
    const items = await instructions(runs.q1);
    const by = (p: Provider) => items.find((i: { payeeId: string }) => i.payeeId === p.id);
    expect([by(centre).bankStatus, by(lab).bankStatus, by(college).bankStatus]).toEqual(['outstanding', 'outstanding', 'held']);
    expect(by(college).accountVersion).toBeNull();
    const view = await runView(runs.q1);
    expect(view.payments).toEqual({
      instructed: { count: 3, fen: 1_500_000 },
      settled: { count: 0, fen: 0 },
      returned: { count: 0, fen: 0 },
      held: { count: 1, fen: 750_000 },
      outstanding: { count: 2, fen: 750_000 },
      reissues: { count: 0, fen: 0 },
      waitingForDetails: { count: 1, fen: 750_000 },
      reissuedLater: { count: 0, fen: 0 },
      reconciled: false,
    });

    xml.q1 = await download(runs.q1);
    expect(await download(runs.q1)).toBe(xml.q1); // same file, same MsgId: a second sending is refused by the bank as a duplicate
    files.q1 = readPain001(xml.q1);
    expect(files.q1).toMatchObject({ count: 2, controlSum: '7500.00', debtorAccount: '32001881236052500001' });
    expect(files.q1.transfers.map((t) => [t.creditor, t.amount, t.bankCode])).toEqual(
      expect.arrayContaining([
        [centre.name, '2500.00', '102290000111'],
        [lab.name, '5000.00', '104331000222'],
      ]),
    );
    expect(files.q1.transfers.every((t) => t.remittance.startsWith('创新券兑付 JS-2026 2026Q1'))).toBe(true);
    expect(await ledger()).toEqual([]);
  });

  withSchemas('the pain.001 file and the bank answers used here are valid against the official ISO 20022 schemas', async () => {
    expect(await xsdErrors(xml.q1, 'pain.001.001.10')).toEqual([]);
    expect(await xsdErrors(pain002(files.q1, { [files.q1.transfers[0].endToEndId]: { status: 'RJCT', reason: 'AC04', info: '账户已销户' } }), 'pain.002.001.11')).toEqual([]);
    expect(await xsdErrors(camt054(files.q1, [{ endToEndId: files.q1.transfers[0].endToEndId, amount: '2500.00' }]), 'camt.054.001.08')).toEqual([]);
    // the validation can fail: a file without its debtor account is refused by the schema
    expect(await xsdErrors(xml.q1.replace(/<DbtrAcct>[\s\S]*?<\/DbtrAcct>/, ''), 'pain.001.001.10')).not.toEqual([]);
  });

  it("the bank's pain.002 settles one transfer and returns the other (closed account, AC04); the same file again applies nothing; a wrong amount or a later contrary answer is not applied", async () => {
    const [c, l] = [files.q1.transfers.find((t) => t.creditor === centre.name)!, files.q1.transfers.find((t) => t.creditor === lab.name)!];
    const answer = pain002(files.q1, { [c.endToEndId]: { status: 'ACSC' }, [l.endToEndId]: { status: 'RJCT', reason: 'AC04', info: '收款账户已销户' } });
    const first = (await importReport(answer).expect(200)).body;
    expect(first).toMatchObject({ format: 'pain.002', alreadyImported: false, entryCount: 2, appliedCount: 2 });
    const again = (await importReport(answer).expect(200)).body;
    expect(again).toMatchObject({ alreadyImported: true, appliedCount: 2, id: first.id });
    const items = await instructions(runs.q1);
    const lab1 = items.find((i: { payeeId: string }) => i.payeeId === lab.id);
    expect(lab1).toMatchObject({ bankStatus: 'returned', bankReasonCode: 'AC04', bankReason: '账户已销户 / closed account number; 收款账户已销户' });
    expect(items.find((i: { payeeId: string }) => i.payeeId === centre.id)).toMatchObject({ bankStatus: 'settled' });

    const contrary = (await importReport(pain002(files.q1, { [l.endToEndId]: { status: 'ACSC' }, [c.endToEndId]: { status: 'ACSC', amount: '2499.99' } })).expect(200)).body;
    expect(contrary.entries.map((e: { outcome: string }) => e.outcome)).toEqual(['conflict', 'amount_differs']);
    await importReport(answer, operatorOf('AH')).expect(409); // the same file, imported before by the JS operator
    const copy = pain002(files.q1, { [c.endToEndId]: { status: 'ACSC' }, [l.endToEndId]: { status: 'RJCT', reason: 'AC04' } });
    const ahFile = (await importReport(copy, operatorOf('AH')).expect(200)).body; // another province's operator: no line is its own
    expect(ahFile.entries.map((e: { outcome: string; instructionId: string | null }) => [e.outcome, e.instructionId])).toEqual([
      ['unknown', null],
      ['unknown', null],
    ]);
    expect((await runView(runs.q1)).payments).toMatchObject({ settled: { count: 1, fen: 250_000 }, returned: { count: 1, fen: 500_000 }, held: { count: 1 }, outstanding: { count: 0 }, reconciled: true });
    expect(await ledger()).toEqual([]);
  });

  it('R-ERR-1: a file that is not a bank answer, declares entities, or pays in another currency is refused, and nothing is written', async () => {
    const before = await rowCounts(sys.db.url, 'settlement');
    expect((await importReport('<not-xml').expect(400)).body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'content' });
    expect((await importReport(xml.q1).expect(400)).body.message).toContain('pain.002');
    expect((await importReport('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><Document/>').expect(400)).body.message).toContain('DOCTYPE');
    const dollars = pain002(files.q1, { [files.q1.transfers[0].endToEndId]: { status: 'ACSC', amount: '2500.00' } }).replace('Ccy="CNY"', 'Ccy="USD"');
    expect((await importReport(dollars).expect(400)).body).toMatchObject({ field: expect.stringMatching(/^content\./), message: expect.stringContaining('USD') });
    await importReport(pain002(files.q1, {}), deltaOperator).expect(403);
    expect(await rowCounts(sys.db.url, 'settlement')).toEqual(before);
  });

  it('R-PAY-1: the returned and the held payment are paid by the next run, once each, when the payees give (corrected) details; one without new details keeps waiting', async () => {
    // the college has never given details; the lab corrects its closed account
    await account(unit(college), 'provider', college.id, { holderName: college.name, accountNumber: '32001600000050033333', bankName: '中国农业银行南京鼓楼支行', bankCode: '103301000333' }).expect(200);
    // the lab's legal entity may act now: settlement knows the unit is its own from the instruction
    await account(legalEntity(lab), 'provider', lab.id, { holderName: lab.name, accountNumber: '33001600000050044444', bankName: '中国银行杭州西湖支行', bankCode: '104331000222', reason: '原账户已销户' }).expect(200);

    runs.q2 = await settleQuarter('2026Q2', '2026-06-10T10:00:00+08:00', '2026-07-06T10:00:00+08:00', '2026-07-20T10:00:00+08:00');
    const items = await instructions(runs.q2);
    const reissues = items.filter((i: { kind: string }) => i.kind === 'reissue');
    expect(reissues.map((r: { payeeId: string; totalFen: number; accountVersion: number; bankStatus: string }) => [r.payeeId, r.totalFen, r.accountVersion, r.bankStatus]).sort()).toEqual(
      [
        [lab.id, 500_000, 2, 'outstanding'],
        [college.id, 750_000, 1, 'outstanding'],
      ].sort(),
    );
    expect((await runView(runs.q2)).payments).toMatchObject({ instructed: { count: 5, fen: 2_750_000 }, reissues: { count: 2, fen: 1_250_000 }, outstanding: { count: 5 } });
    expect((await runView(runs.q1)).payments).toMatchObject({ waitingForDetails: { count: 0, fen: 0 }, reissuedLater: { count: 2, fen: 1_250_000 } });

    xml.q2 = await download(runs.q2);
    files.q2 = readPain001(xml.q2);
    expect(files.q2.count).toBe(5);
    expect(files.q2.transfers.filter((t) => t.remittance.includes('重付')).map((t) => t.account).sort()).toEqual(['32001600000050033333', '33001600000050044444']);
    if (schemas) expect(await xsdErrors(xml.q2, 'pain.001.001.10')).toEqual([]);

    // camt.054: everything booked; then the college's repayment comes back: wrong name (BE01)
    const reissueOf = (p: Provider) => files.q2.transfers.find((t) => t.remittance.includes('重付') && t.creditor === p.name)!;
    const bookings = files.q2.transfers.map((t) => ({ endToEndId: t.endToEndId, amount: t.amount }));
    expect((await importReport(camt054(files.q2, bookings)).expect(200)).body.appliedCount).toBe(5);
    const back = camt054(files.q2, [{ endToEndId: reissueOf(college).endToEndId, amount: reissueOf(college).amount, returned: { reason: 'BE01', info: '户名不符' } }]);
    if (schemas) expect(await xsdErrors(back, 'camt.054.001.08')).toEqual([]);
    expect((await importReport(back).expect(200)).body.entries).toEqual([expect.objectContaining({ status: 'returned', reasonCode: 'BE01', outcome: 'applied', previousStatus: 'settled' })]);
    expect(await ledger()).toEqual([]);

    // Q3: the college has not corrected its details: nothing is paid again; once it does, Q4… here Q3's own run pays it
    runs.q3 = await settleQuarter('2026Q3', '2026-09-01T10:00:00+08:00', '2026-10-09T10:00:00+08:00', '2026-10-16T10:00:00+08:00');
    expect((await instructions(runs.q3)).filter((i: { kind: string }) => i.kind === 'reissue')).toEqual([]);
    expect((await runView(runs.q2)).payments).toMatchObject({ returned: { count: 1, fen: 750_000 }, waitingForDetails: { count: 1, fen: 750_000 } });

    // exactly once: every payment of a chain is paid at most once, whatever is imported again
    const chains = await sql(sys.db.url, `SELECT origin_id, count(*) FILTER (WHERE bank_status IN ('settled', 'outstanding'))::int AS live FROM settlement.instructions GROUP BY 1`);
    expect(chains.every((c) => c.live <= 1)).toBe(true);
    expect(await ledger()).toEqual([]);
  });

  it('a run whose programme has no paying account on file gets no pain.001 file (BANK_ACCOUNT_MISSING), its CSV all the same', async () => {
    await feedProgramme(sys, 'AH-2026');
    const ah = operatorOf('AH');
    const ahRegion = await feedRegion(sys, 'AH');
    await feedClaims(sys, [claim('AH-2026', enterpriseIn(ahRegion), centre, 400_000, '2026-08-10T10:00:00+08:00')]);
    setNow(app, '2026-10-09T10:00:00+08:00');
    const run = await sys.client.ok(S.runStart, { programmeId: 'AH-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: ah, idempotencyKey: key() });
    await sys.client.ok(S.runReview, { runId: run.id, approveAll: true }, { principal: ah, idempotencyKey: key() });
    await sys.client.ok(S.runPublish, { runId: run.id }, { principal: ah, idempotencyKey: key() });
    setNow(app, '2026-10-16T10:00:00+08:00');
    await sys.client.ok(S.runDisburse, { runId: run.id }, { principal: ah });
    const refused = await http.get(`/v1/settlement/runs/${run.id}/exports/instructions.xml`).set('Authorization', as(ah)).expect(422);
    expect(refused.body).toMatchObject({ code: 'BANK_ACCOUNT_MISSING', field: 'programmeId' });
    await http.get(`/v1/settlement/runs/${run.id}/exports/instructions.csv`).set('Authorization', as(ah)).expect(200);
    await http.get(`/v1/settlement/runs/${run.id}/exports/publicity.xml`).set('Authorization', as(ah)).expect(400);
  });

  it('R-LEDGER-1: the ledger check names a payment made twice, a reissue of another amount, and a status no bank answer explains', async () => {
    const names = (report: Awaited<ReturnType<typeof runLedgerChecks>>) => report.filter((r) => r.status === 'differs').map((r) => r.name.split(':')[0]);
    // the centre's Q1 payment settled; a second payment of it is forged beside it
    const [settled] = await sql(sys.db.url, `SELECT id FROM settlement.instructions WHERE run_id = $1 AND payee_id = $2`, [runs.q1, centre.id]);
    await sql(
      sys.db.url,
      `INSERT INTO settlement.instructions (id, run_id, programme_id, payee_type, payee_id, payee_name, claim_count, total_fen, created_at, kind, reissue_of, origin_id,
              account_version, holder_name, account_number, bank_name, bank_code, bank_status)
       SELECT gen_random_uuid(), $2, programme_id, payee_type, payee_id, payee_name, claim_count, total_fen + 1, now(), 'reissue', id, origin_id,
              account_version, holder_name, account_number, bank_name, bank_code, 'outstanding'
         FROM settlement.instructions WHERE id = $1`,
      [settled.id, runs.q3],
    );
    expect(names(await runLedgerChecks(sys.db.url))).toEqual(expect.arrayContaining(['instructed = settled + returned + outstanding', 'nothing paid twice']));
    await sql(sys.db.url, `DELETE FROM settlement.instructions WHERE reissue_of = $1`, [settled.id]);
    // a status set without the bank's answer
    const [outstanding] = await sql(sys.db.url, `SELECT id FROM settlement.instructions WHERE run_id = $1 AND bank_status = 'outstanding' LIMIT 1`, [runs.q3]);
    await sql(sys.db.url, `UPDATE settlement.instructions SET bank_status = 'settled' WHERE id = $1`, [outstanding.id]);
    expect(names(await runLedgerChecks(sys.db.url))).toEqual(['bank answers = instruction states']);
    await sql(sys.db.url, `UPDATE settlement.instructions SET bank_status = 'outstanding' WHERE id = $1`, [outstanding.id]);
    expect(await ledger()).toEqual([]);
    // the bank's records cannot be rewritten
    await expect(sql(sys.db.url, `UPDATE settlement.bank_report_entries SET outcome = 'applied'`)).rejects.toThrow(/append-only/);
    await expect(sql(sys.db.url, `DELETE FROM settlement.bank_accounts`)).rejects.toThrow(/append-only/);
  });

  it('a payment block the bank rejects whole (PmtInfSts RJCT, no transaction lines) returns every transfer the file sent, with its reason', async () => {
    const sent = await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.instructions WHERE run_id = $1 AND account_version IS NOT NULL`, [runs.q3]);
    const hex = runs.q3.replace(/-/g, '');
    const rejected = `<?xml version="1.0" encoding="UTF-8"?>
      <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.11"><CstmrPmtStsRpt>
        <GrpHdr><MsgId>BANK-BLOCK-${Date.now()}</MsgId><CreDtTm>2026-10-17T10:00:00+08:00</CreDtTm></GrpHdr>
        <OrgnlGrpInfAndSts><OrgnlMsgId>VC${hex}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.10</OrgnlMsgNmId></OrgnlGrpInfAndSts>
        <OrgnlPmtInfAndSts><OrgnlPmtInfId>PI${hex}</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></OrgnlPmtInfAndSts>
      </CstmrPmtStsRpt></Document>`;
    if (schemas) expect(await xsdErrors(rejected, 'pain.002.001.11')).toEqual([]);
    const report = (await importReport(rejected).expect(200)).body;
    expect(report.entryCount).toBe(sent[0].n);
    expect(report.entries.every((e: { status: string; reasonCode: string; outcome: string }) => e.status === 'returned' && e.reasonCode === 'AM04' && e.outcome === 'applied')).toBe(true);
    expect((await runView(runs.q3)).payments).toMatchObject({ returned: { count: sent[0].n }, outstanding: { count: 0 } });
    expect(await ledger()).toEqual([]);
  });

  it('settle bank import (the CLI) imports a bank file, says what each line did, and applies nothing twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'settle-bank-'));
    const file = join(dir, 'camt054.xml');
    writeFileSync(file, camt054(files.q2, files.q2.transfers.map((t) => ({ endToEndId: t.endToEndId, amount: t.amount })), '2026-07-25T10:00:00+08:00'));
    const first = await settle(['bank', 'import', '--operator', 'JS', '--file', file], '2026-10-20T10:00:00+08:00');
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toMatch(/^camt\.054 BANK-NTF-\S+: 0 of 5 lines applied/);
    expect(first.stdout).toContain('→ unchanged (was settled)');
    const again = await settle(['bank', 'import', '--operator', 'JS', '--file', file], '2026-10-20T10:00:00+08:00');
    expect(again.stdout).toContain('was imported before: nothing applied again');
    expect((await settle(['bank', 'import', '--operator', 'JS'], '2026-10-20T10:00:00+08:00')).code).toBe(2);
  });

  function settle(args: string[], now: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/settlement/src/cli.ts', ...args], {
        cwd: resolve(__dirname, '../../..'),
        env: { ...process.env, NODE_ENV: 'test', SECRETS_DIR: testSecretsDir(), DATABASE_URL: sys.db.url, NATS_URL: sys.nats.url, CLOCK_MODE: 'simulated', SIMULATED_NOW: now, LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => done({ code, stdout, stderr }));
    });
  }
});
