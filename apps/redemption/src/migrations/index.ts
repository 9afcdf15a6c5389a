import { RedemptionInit1764000000201 } from './1764000000201-redemption-init';

export const redemptionMigrations = [RedemptionInit1764000000201];
