import { SettlementInit1764000000401 } from './1764000000401-settlement-init';
import { SettlementClaimsHot1764000000402 } from './1764000000402-settlement-claims-hot';

export const settlementMigrations = [SettlementInit1764000000401, SettlementClaimsHot1764000000402];
