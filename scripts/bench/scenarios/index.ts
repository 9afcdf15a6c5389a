import { Scenario } from '../scenarios';
import { enterpriseHttpRead, paymentsOverGrpc, paymentsOverNats } from './payments';
import { publicityNoticeFlood } from './publicity';
import { settlementQuarter, settlementQuarter10m } from './settlement';

/** The scenarios measured against the ceiling, in order. */
export const SCENARIOS: Scenario[] = [paymentsOverNats, paymentsOverGrpc, enterpriseHttpRead, publicityNoticeFlood, settlementQuarter, settlementQuarter10m];
