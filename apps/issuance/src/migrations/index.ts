import { IssuanceInit1764000000101 } from './1764000000101-issuance-init';
import { IssuanceLedger1764000000102 } from './1764000000102-issuance-ledger';

export const issuanceMigrations = [IssuanceInit1764000000101, IssuanceLedger1764000000102];
