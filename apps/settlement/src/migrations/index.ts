import { SettlementInit1764000000401 } from './1764000000401-settlement-init';

export const settlementMigrations = [SettlementInit1764000000401];
