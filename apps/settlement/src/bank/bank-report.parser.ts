import { XMLParser } from 'fast-xml-parser';
import { yuanToFen } from '@vc/domain';

/**
 * The bank's answers to a payment file, read from its ISO 20022 messages:
 *
 * - pain.002 customer payment status report: per transaction (TxInfAndSts) its status, ACSC/ACCC
 *   settled, RJCT returned with its reason (StsRsnInf/Rsn/Cd), anything else (ACTC, ACCP, ACSP,
 *   ACWC, PDNG, RCVD…) acknowledged without a final answer; a whole payment block or group
 *   rejected (PmtInfSts / GrpSts RJCT) without transaction lines rejects every transfer of that file.
 * - camt.054 debit/credit notification: per transaction (Ntry/NtryDtls/TxDtls), a booked debit
 *   of our account is settled; a transaction with return information (RtrInf) is returned with
 *   its reason (a return credited back after the payment was booked included); a pending entry is
 *   acknowledged.
 *
 * A transaction names our instruction by EndToEndId (or InstrId). Only what is read here is
 * trusted; the caller matches each reference against its own instructions. Any version of the two
 * messages is read (the elements read are the same in all of them); a file with a DOCTYPE is refused
 * (bank messages have none, and entity expansion is a known attack on XML parsers).
 */
export type BankAnswer = 'settled' | 'returned' | 'pending';

export interface ParsedEntry {
  line: number;
  reference: string | null;
  status: BankAnswer;
  reasonCode: string | null;
  reasonInfo: string | null;
  amountFen: bigint | null;
}

export interface ParsedReport {
  format: 'pain.002' | 'camt.054';
  messageId: string;
  entries: ParsedEntry[];
  /** pain.002: a whole file or payment block rejected (no transaction lines): the message or block id and the reason */
  rejectedBlocks: Array<{ reference: string; reasonCode: string | null; reasonInfo: string | null }>;
}

export class BankReportError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

const ARRAYS = new Set(['OrgnlPmtInfAndSts', 'TxInfAndSts', 'StsRsnInf', 'AddtlInf', 'Ntfctn', 'Ntry', 'NtryDtls', 'TxDtls']);

type Node = Record<string, unknown>;

const node = (v: unknown): Node => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : {});
const list = (v: unknown): Node[] => (Array.isArray(v) ? v.map(node) : v === undefined ? [] : [node(v)]);
function text(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && '#text' in (v as Node)) return text((v as Node)['#text']);
  return null;
}

/** An ISO amount in CNY as fen, exactly; another currency or more than two significant decimals is refused. */
function amount(v: unknown, field: string): bigint | null {
  if (v === undefined) return null;
  const value = text(v);
  const currency = node(v)['@_Ccy'];
  if (!value) return null;
  if (currency !== undefined && currency !== 'CNY') throw new BankReportError(field, `${field} is in ${String(currency)}; the programmes pay in CNY`);
  const trimmed = value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
  try {
    return yuanToFen(trimmed);
  } catch {
    throw new BankReportError(field, `${field} is not an amount of CNY: ${value}`);
  }
}

/** The texts of a repeated text element (AddtlInf), joined. */
function texts(v: unknown): string | null {
  const all = (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(text).filter(Boolean);
  return all.length ? all.join(' ') : null;
}

/** The first reason of a status (its code, or proprietary code) and all its additional information. */
function reason(infos: Node[]): { reasonCode: string | null; reasonInfo: string | null } {
  const rsn = node(infos[0]?.Rsn);
  return { reasonCode: text(rsn.Cd) ?? text(rsn.Prtry), reasonInfo: texts(infos.flatMap((i) => (Array.isArray(i.AddtlInf) ? i.AddtlInf : i.AddtlInf === undefined ? [] : [i.AddtlInf]))) };
}

const SETTLED = new Set(['ACSC', 'ACCC']);

function pain002(doc: Node): ParsedReport {
  const report = node(doc.CstmrPmtStsRpt);
  const messageId = text(node(report.GrpHdr).MsgId);
  if (!messageId) throw new BankReportError('GrpHdr.MsgId', 'the status report has no message id');
  const group = node(report.OrgnlGrpInfAndSts);
  const entries: ParsedEntry[] = [];
  const rejectedBlocks: ParsedReport['rejectedBlocks'] = [];
  let line = 0;
  const blocks = list(report.OrgnlPmtInfAndSts);
  for (const block of blocks) {
    const txs = list(block.TxInfAndSts);
    if (txs.length === 0 && text(block.PmtInfSts) === 'RJCT') {
      rejectedBlocks.push({ reference: text(block.OrgnlPmtInfId) ?? '', ...reason(list(block.StsRsnInf)) });
    }
    for (const tx of txs) {
      line++;
      const status = text(tx.TxSts);
      const ref = node(tx.OrgnlTxRef);
      entries.push({
        line,
        reference: text(tx.OrgnlEndToEndId) ?? text(tx.OrgnlInstrId),
        status: status && SETTLED.has(status) ? 'settled' : status === 'RJCT' ? 'returned' : 'pending',
        ...reason(list(tx.StsRsnInf)),
        amountFen: amount(node(ref.Amt).InstdAmt, `TxInfAndSts[${line}].OrgnlTxRef.Amt`),
      });
    }
  }
  if (blocks.length === 0 && text(group.GrpSts) === 'RJCT') {
    rejectedBlocks.push({ reference: text(group.OrgnlMsgId) ?? '', ...reason(list(group.StsRsnInf)) });
  }
  return { format: 'pain.002', messageId, entries, rejectedBlocks };
}

function camt054(doc: Node): ParsedReport {
  const report = node(doc.BkToCstmrDbtCdtNtfctn);
  const messageId = text(node(report.GrpHdr).MsgId);
  if (!messageId) throw new BankReportError('GrpHdr.MsgId', 'the notification has no message id');
  const entries: ParsedEntry[] = [];
  let line = 0;
  for (const notification of list(report.Ntfctn)) {
    for (const entry of list(notification.Ntry)) {
      const debit = text(entry.CdtDbtInd) === 'DBIT';
      const sts = node(entry.Sts);
      const booked = (text(sts.Cd) ?? text(sts.Prtry) ?? text(entry.Sts)) === 'BOOK';
      const txs = list(entry.NtryDtls).flatMap((d) => list(d.TxDtls));
      for (const tx of txs) {
        line++;
        const refs = node(tx.Refs);
        const returned = tx.RtrInf !== undefined;
        const rtr = node(tx.RtrInf);
        const rsn = node(rtr.Rsn);
        const txAmount = tx.Amt ?? node(node(tx.AmtDtls).InstdAmt).Amt ?? (txs.length === 1 ? entry.Amt : undefined);
        entries.push({
          line,
          reference: text(refs.EndToEndId) ?? text(refs.InstrId),
          // a credit without return information is money received, not an answer to our payments: never applied
          status: returned ? 'returned' : debit && booked ? 'settled' : 'pending',
          reasonCode: returned ? text(rsn.Cd) ?? text(rsn.Prtry) : null,
          reasonInfo: returned ? texts(rtr.AddtlInf) : null,
          amountFen: amount(txAmount, `Ntry.TxDtls[${line}].Amt`),
        });
      }
    }
  }
  return { format: 'camt.054', messageId, entries, rejectedBlocks: [] };
}

export function parseBankReport(xml: string): ParsedReport {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new BankReportError('content', 'a bank message has no DOCTYPE or entity declarations');
  let doc: Node;
  let ns = '';
  try {
    // The namespace names the message and its version; the tree is then read without prefixes.
    const raw = node(new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, processEntities: false }).parse(xml, true));
    const rootKey = Object.keys(raw).find((k) => k === 'Document' || k.endsWith(':Document'));
    if (rootKey) {
      const root = node(raw[rootKey]);
      const prefix = rootKey.includes(':') ? `:${rootKey.split(':')[0]}` : '';
      ns = String(root[`@_xmlns${prefix}`] ?? '');
    }
    const parsed = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      removeNSPrefix: true,
      parseTagValue: false,
      parseAttributeValue: false,
      processEntities: true,
      htmlEntities: false,
      isArray: (name) => ARRAYS.has(name),
    }).parse(xml, true);
    doc = node(node(parsed).Document);
  } catch (err) {
    throw new BankReportError('content', `not a well-formed XML message: ${(err as Error).message}`);
  }
  if (doc.CstmrPmtStsRpt !== undefined && ns.startsWith('urn:iso:std:iso:20022:tech:xsd:pain.002.')) return pain002(doc);
  if (doc.BkToCstmrDbtCdtNtfctn !== undefined && ns.startsWith('urn:iso:std:iso:20022:tech:xsd:camt.054.')) return camt054(doc);
  throw new BankReportError('content', 'not an ISO 20022 pain.002 payment status report or camt.054 notification');
}
