import { RedemptionInit1764000000201 } from './1764000000201-redemption-init';
import { RedemptionRefusalOrder1764000000202 } from './1764000000202-redemption-refusal-order';

export const redemptionMigrations = [RedemptionInit1764000000201, RedemptionRefusalOrder1764000000202];
