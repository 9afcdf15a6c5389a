import { XMLBuilder } from 'fast-xml-parser';
import { fenToDecimal } from '@vc/domain';
import { endToEndId } from './payments.sql';

/**
 * A run's payment instructions as an ISO 20022 customer credit transfer initiation
 * (pain.001.001.10), the file a programme's bank takes: one message per run (its programme pays),
 * one payment information block with the programme's account as debtor, one credit transfer per
 * instruction that was sent (not those held for want of the payee's account). Amounts in CNY with
 * two decimals; banks named by their CNAPS code (ClrSysId CNAPS); parties by their unified social
 * credit code (OrgId scheme TXID: in China the tax identifier).
 *
 * The file is a function of the run's stored instructions: downloaded again, it is the same file
 * with the same MsgId, which the bank refuses as a duplicate instead of paying twice (R-PAY-1).
 */
export const PAIN001_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:pain.001.001.10';

export interface Pain001Account {
  holderName: string;
  holderCreditCode: string | null;
  accountNumber: string;
  bankName: string;
  bankCode: string;
}

export interface Pain001Transfer extends Pain001Account {
  instructionId: string;
  kind: 'run' | 'reissue';
  /** for a reissue: the instruction it pays again */
  reissueOf: string | null;
  totalFen: bigint;
  claimCount: number;
}

export interface Pain001Input {
  runId: string;
  programmeId: string;
  quarter: string;
  /** when the instructions were written (the run's paid_at): the file's creation time */
  createdAt: Date;
  /** the requested execution date: the run's payment date (Asia/Shanghai) */
  executionDate: string;
  /** who initiates: the programme's centre */
  initiatorName: string;
  debtor: Pain001Account;
  transfers: Pain001Transfer[];
}

/** Max140Text and friends: at most n characters, never empty. */
function clip(text: string, n: number): string {
  const t = text.trim();
  return [...t].slice(0, n).join('') || '-';
}

function party(account: Pain001Account) {
  return {
    Nm: clip(account.holderName, 140),
    ...(account.holderCreditCode ? { Id: { OrgId: { Othr: { Id: account.holderCreditCode, SchmeNm: { Cd: 'TXID' } } } } } : {}),
  };
}

const cashAccount = (account: Pain001Account) => ({ Id: { Othr: { Id: account.accountNumber } }, Ccy: 'CNY' });
const agent = (account: Pain001Account) => ({ FinInstnId: { ClrSysMmbId: { ClrSysId: { Cd: 'CNAPS' }, MmbId: account.bankCode }, Nm: clip(account.bankName, 140) } });

/** ISODateTime in Asia/Shanghai with its offset, e.g. 2027-01-13T09:00:00+08:00. */
function shanghaiDateTime(instant: Date): string {
  return `${new Date(instant.getTime() + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}

export function pain001(input: Pain001Input): string {
  const hex = endToEndId(input.runId);
  const total = input.transfers.reduce((s, t) => s + t.totalFen, 0n);
  const document = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    Document: {
      '@_xmlns': PAIN001_NAMESPACE,
      CstmrCdtTrfInitn: {
        GrpHdr: {
          MsgId: `VC${hex}`,
          CreDtTm: shanghaiDateTime(input.createdAt),
          NbOfTxs: String(input.transfers.length),
          CtrlSum: fenToDecimal(total),
          InitgPty: { Nm: clip(input.initiatorName, 140) },
        },
        PmtInf: {
          PmtInfId: `PI${hex}`,
          PmtMtd: 'TRF',
          BtchBookg: 'false',
          NbOfTxs: String(input.transfers.length),
          CtrlSum: fenToDecimal(total),
          ReqdExctnDt: { Dt: input.executionDate },
          Dbtr: party(input.debtor),
          DbtrAcct: cashAccount(input.debtor),
          DbtrAgt: agent(input.debtor),
          // the programme bears the charges: the payee receives V whole
          ChrgBr: 'DEBT',
          CdtTrfTxInf: input.transfers.map((t) => ({
            PmtId: { InstrId: endToEndId(t.instructionId), EndToEndId: endToEndId(t.instructionId), UETR: t.instructionId },
            Amt: { InstdAmt: { '@_Ccy': 'CNY', '#text': fenToDecimal(t.totalFen) } },
            CdtrAgt: agent(t),
            Cdtr: party(t),
            CdtrAcct: cashAccount(t),
            RmtInf: {
              Ustrd: clip(
                t.kind === 'reissue'
                  ? `创新券兑付 ${input.programmeId} ${input.quarter} 重付 ${endToEndId(t.reissueOf!)} (${t.claimCount}笔)`
                  : `创新券兑付 ${input.programmeId} ${input.quarter} (${t.claimCount}笔)`,
                140,
              ),
            },
          })),
        },
      },
    },
  };
  // An empty file is no payment order: the caller refuses it before building.
  return new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: true }).build(document);
}
