import { IssuanceInit1764000000101 } from './1764000000101-issuance-init';
import { IssuanceLedger1764000000102 } from './1764000000102-issuance-ledger';
import { IssuanceRegionVersion1764000000103 } from './1764000000103-issuance-region-version';
import { IssuanceQuarantine1764000000104 } from './1764000000104-issuance-quarantine';
import { IssuanceAppendOnlyRecords1764000000105 } from './1764000000105-issuance-append-only-records';
import { IssuanceHeartbeats1764000000107 } from './1764000000107-issuance-heartbeats';
import { IssuanceStoredRefusals1764000000108 } from './1764000000108-issuance-stored-refusals';

export const issuanceMigrations = [
  IssuanceInit1764000000101,
  IssuanceLedger1764000000102,
  IssuanceRegionVersion1764000000103,
  IssuanceQuarantine1764000000104,
  IssuanceAppendOnlyRecords1764000000105,
  IssuanceHeartbeats1764000000107,
  IssuanceStoredRefusals1764000000108,
];
