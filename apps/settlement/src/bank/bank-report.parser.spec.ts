import { BankReportError, parseBankReport } from './bank-report.parser';
import { pain001 } from './pain001';

const E2E_A = 'a'.repeat(32);
const E2E_B = 'b'.repeat(32);

describe('bank answers read from ISO 20022 messages (ADR 0009)', () => {
  it('pain.002: ACSC and ACCC settle, RJCT returns with its reason, anything else is only acknowledged; amounts in CNY exactly', () => {
    const xml = `<?xml version="1.0"?>
      <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
        <GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-10-17T10:00:00+08:00</CreDtTm></GrpHdr>
        <OrgnlGrpInfAndSts><OrgnlMsgId>VCx</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.10</OrgnlMsgNmId></OrgnlGrpInfAndSts>
        <OrgnlPmtInfAndSts><OrgnlPmtInfId>PIx</OrgnlPmtInfId>
          <TxInfAndSts><OrgnlEndToEndId>${E2E_A}</OrgnlEndToEndId><TxSts>ACSC</TxSts><OrgnlTxRef><Amt><InstdAmt Ccy="CNY">2500.50</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>
          <TxInfAndSts><OrgnlInstrId>${E2E_B}</OrgnlInstrId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>BE01</Cd></Rsn><AddtlInf>户名不符</AddtlInf><AddtlInf>请核对</AddtlInf></StsRsnInf></TxInfAndSts>
          <TxInfAndSts><OrgnlEndToEndId>${E2E_B}</OrgnlEndToEndId><TxSts>ACSP</TxSts></TxInfAndSts>
        </OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>`;
    expect(parseBankReport(xml)).toEqual({
      format: 'pain.002',
      messageId: 'STS-1',
      rejectedBlocks: [],
      entries: [
        { line: 1, reference: E2E_A, status: 'settled', reasonCode: null, reasonInfo: null, amountFen: 250050n },
        { line: 2, reference: E2E_B, status: 'returned', reasonCode: 'BE01', reasonInfo: '户名不符 请核对', amountFen: null },
        { line: 3, reference: E2E_B, status: 'pending', reasonCode: null, reasonInfo: null, amountFen: null },
      ],
    });
  });

  it('pain.002: a payment block or a whole file rejected without transaction lines is reported as such', () => {
    const block = `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.11"><CstmrPmtStsRpt><GrpHdr><MsgId>S2</MsgId><CreDtTm>2026-10-17T10:00:00Z</CreDtTm></GrpHdr>
      <OrgnlGrpInfAndSts><OrgnlMsgId>VC${E2E_A}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.10</OrgnlMsgNmId></OrgnlGrpInfAndSts>
      <OrgnlPmtInfAndSts><OrgnlPmtInfId>PI${E2E_A}</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>`;
    expect(parseBankReport(block)).toMatchObject({ entries: [], rejectedBlocks: [{ reference: `PI${E2E_A}`, reasonCode: 'AM04' }] });
    const group = `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.11"><CstmrPmtStsRpt><GrpHdr><MsgId>S3</MsgId><CreDtTm>2026-10-17T10:00:00Z</CreDtTm></GrpHdr>
      <OrgnlGrpInfAndSts><OrgnlMsgId>VC${E2E_A}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.10</OrgnlMsgNmId><GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Prtry>FORMAT</Prtry></Rsn></StsRsnInf></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>`;
    expect(parseBankReport(group)).toMatchObject({ rejectedBlocks: [{ reference: `VC${E2E_A}`, reasonCode: 'FORMAT' }] });
  });

  it('camt.054 (prefixed namespace): a booked debit settles, a return credit returns with its reason, a pending entry and a foreign credit change nothing', () => {
    const xml = `<n:Document xmlns:n="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><n:BkToCstmrDbtCdtNtfctn>
      <n:GrpHdr><n:MsgId>NTF-1</n:MsgId><n:CreDtTm>2026-10-18T10:00:00+08:00</n:CreDtTm></n:GrpHdr>
      <n:Ntfctn><n:Id>1</n:Id><n:Acct><n:Id><n:Othr><n:Id>123</n:Id></n:Othr></n:Id></n:Acct>
        <n:Ntry><n:Amt Ccy="CNY">10.00</n:Amt><n:CdtDbtInd>DBIT</n:CdtDbtInd><n:Sts><n:Cd>BOOK</n:Cd></n:Sts><n:BkTxCd/>
          <n:NtryDtls><n:TxDtls><n:Refs><n:EndToEndId>${E2E_A}</n:EndToEndId></n:Refs></n:TxDtls></n:NtryDtls></n:Ntry>
        <n:Ntry><n:Amt Ccy="CNY">20.000</n:Amt><n:CdtDbtInd>CRDT</n:CdtDbtInd><n:Sts><n:Cd>BOOK</n:Cd></n:Sts><n:BkTxCd/>
          <n:NtryDtls><n:TxDtls><n:Refs><n:EndToEndId>${E2E_B}</n:EndToEndId></n:Refs><n:Amt Ccy="CNY">20.000</n:Amt><n:RtrInf><n:Rsn><n:Cd>AC04</n:Cd></n:Rsn></n:RtrInf></n:TxDtls></n:NtryDtls></n:Ntry>
        <n:Ntry><n:Amt Ccy="CNY">5.00</n:Amt><n:CdtDbtInd>DBIT</n:CdtDbtInd><n:Sts><n:Cd>PDNG</n:Cd></n:Sts><n:BkTxCd/>
          <n:NtryDtls><n:TxDtls><n:Refs><n:InstrId>${E2E_B}</n:InstrId></n:Refs></n:TxDtls></n:NtryDtls></n:Ntry>
        <n:Ntry><n:Amt Ccy="CNY">7.00</n:Amt><n:CdtDbtInd>CRDT</n:CdtDbtInd><n:Sts><n:Cd>BOOK</n:Cd></n:Sts><n:BkTxCd/>
          <n:NtryDtls><n:TxDtls><n:Refs><n:EndToEndId>SOMEONE-ELSE</n:EndToEndId></n:Refs></n:TxDtls></n:NtryDtls></n:Ntry>
      </n:Ntfctn></n:BkToCstmrDbtCdtNtfctn></n:Document>`;
    expect(parseBankReport(xml).entries).toEqual([
      { line: 1, reference: E2E_A, status: 'settled', reasonCode: null, reasonInfo: null, amountFen: 1000n },
      { line: 2, reference: E2E_B, status: 'returned', reasonCode: 'AC04', reasonInfo: null, amountFen: 2000n },
      { line: 3, reference: E2E_B, status: 'pending', reasonCode: null, reasonInfo: null, amountFen: 500n },
      { line: 4, reference: 'SOMEONE-ELSE', status: 'pending', reasonCode: null, reasonInfo: null, amountFen: 700n },
    ]);
  });

  it('refuses what is no bank answer: entity declarations, other messages, other currencies, malformed XML', () => {
    const refused = (xml: string) => {
      try {
        parseBankReport(xml);
      } catch (e) {
        if (e instanceof BankReportError) return e.message;
        throw e;
      }
      return 'accepted';
    };
    expect(refused('<!DOCTYPE x [<!ENTITY a "b">]><Document/>')).toContain('DOCTYPE');
    expect(refused('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.10"><CstmrCdtTrfInitn/></Document>')).toContain('not an ISO 20022');
    expect(refused('<Document xmlns="urn:example:pain.002"><CstmrPmtStsRpt/></Document>')).toContain('not an ISO 20022');
    expect(refused('<Document')).toContain('not');
    const usd = `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.11"><CstmrPmtStsRpt><GrpHdr><MsgId>S</MsgId><CreDtTm>2026-10-17T10:00:00Z</CreDtTm></GrpHdr>
      <OrgnlGrpInfAndSts><OrgnlMsgId>M</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.10</OrgnlMsgNmId></OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>P</OrgnlPmtInfId>
      <TxInfAndSts><OrgnlEndToEndId>${E2E_A}</OrgnlEndToEndId><TxSts>ACSC</TxSts><OrgnlTxRef><Amt><InstdAmt Ccy="USD">1.00</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>`;
    expect(refused(usd)).toContain('USD');
    expect(refused(usd.replace('Ccy="USD">1.00', 'Ccy="CNY">1.005'))).toContain('not an amount of CNY');
  });

  it('pain.001: amounts in yuan with two decimals, ids without hyphens, texts cut to 140 characters, a reissue names what it pays again', () => {
    const account = { holderName: '江苏省科技资源统筹服务中心', holderCreditCode: null, accountNumber: '32001881236052500001', bankName: '示范银行', bankCode: '105301000123' };
    const xml = pain001({
      runId: '11111111-2222-4333-8444-555555555555',
      programmeId: 'JS-2026',
      quarter: '2026Q3',
      createdAt: new Date('2026-10-16T01:00:00Z'),
      executionDate: '2026-10-16',
      initiatorName: account.holderName,
      debtor: account,
      transfers: [
        { ...account, holderName: '名'.repeat(200), instructionId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', kind: 'reissue', reissueOf: '99999999-8888-4777-8666-555555555555', totalFen: 5n, claimCount: 1 },
        { ...account, instructionId: 'abababab-bbbb-4ccc-8ddd-eeeeeeeeeeee', kind: 'run', reissueOf: null, totalFen: 123456789n, claimCount: 3 },
      ],
    });
    expect(xml).toContain('<MsgId>VC11111111222243338444555555555555</MsgId>');
    expect(xml).toContain('<CreDtTm>2026-10-16T09:00:00+08:00</CreDtTm>');
    expect(xml).toContain('<CtrlSum>1234567.94</CtrlSum>');
    expect(xml).toContain('<InstdAmt Ccy="CNY">0.05</InstdAmt>');
    expect(xml).toContain('<EndToEndId>aaaaaaaabbbb4ccc8dddeeeeeeeeeeee</EndToEndId>');
    expect(xml).toContain(`<Nm>${'名'.repeat(140)}</Nm>`);
    expect(xml).toContain('重付 99999999888847778666555555555555');
  });
});
