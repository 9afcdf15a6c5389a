import { SettlementInit1764000000401 } from './1764000000401-settlement-init';
import { SettlementClaimsHot1764000000402 } from './1764000000402-settlement-claims-hot';
import { SettlementOutboxLz41764000000403 } from './1764000000403-settlement-outbox-lz4';
import { SettlementRunQuarter1764000000404 } from './1764000000404-settlement-run-quarter';
import { SettlementClaimStatistics1764000000405 } from './1764000000405-settlement-claim-statistics';
import { SettlementRunReviewCounters1764000000406 } from './1764000000406-settlement-run-review-counters';
import { SettlementRunStateCounters1764000000407 } from './1764000000407-settlement-run-state-counters';
import { SettlementPaymentPerRun1764000000408 } from './1764000000408-settlement-payment-per-run';
import { SettlementApprovalPerRun1764000000409 } from './1764000000409-settlement-approval-per-run';
import { SettlementRegionVersion1764000000410 } from './1764000000410-settlement-region-version';
import { SettlementCalendarYears1764000000411 } from './1764000000411-settlement-calendar-years';
import { SettlementBankPayments1764000000412 } from './1764000000412-settlement-bank-payments';
import { SettlementInstructionsByRun1764000000413 } from './1764000000413-settlement-instructions-by-run';
import { SettlementQuarantine1764000000420 } from './1764000000420-settlement-quarantine';
import { SettlementCopyFreshness1764000000421 } from './1764000000421-settlement-copy-freshness';
import { SettlementStoredRefusals1764000000422 } from './1764000000422-settlement-stored-refusals';
import { SettlementObjectionDesk1764000000431 } from './1764000000431-settlement-objection-desk';
import { SettlementPublicDocuments1764000000432 } from './1764000000432-settlement-public-documents';
import { SettlementAppendOnlyRecords1764000000433 } from './1764000000433-settlement-append-only-records';

export const settlementMigrations = [
  SettlementInit1764000000401,
  SettlementClaimsHot1764000000402,
  SettlementOutboxLz41764000000403,
  SettlementRunQuarter1764000000404,
  SettlementClaimStatistics1764000000405,
  SettlementRunReviewCounters1764000000406,
  SettlementRunStateCounters1764000000407,
  SettlementPaymentPerRun1764000000408,
  SettlementApprovalPerRun1764000000409,
  SettlementRegionVersion1764000000410,
  SettlementCalendarYears1764000000411,
  SettlementBankPayments1764000000412,
  SettlementInstructionsByRun1764000000413,
  SettlementQuarantine1764000000420,
  SettlementCopyFreshness1764000000421,
  SettlementStoredRefusals1764000000422,
  SettlementObjectionDesk1764000000431,
  SettlementPublicDocuments1764000000432,
  SettlementAppendOnlyRecords1764000000433,
];
