import { Scenario } from '../scenarios';
import { enterpriseHttpRead, paymentsOverGrpc, paymentsOverNats } from './payments';
import { settlementQuarter, settlementQuarter10m } from './settlement';

/** The scenarios measured against the ceiling, in order. */
export const SCENARIOS: Scenario[] = [paymentsOverNats, paymentsOverGrpc, enterpriseHttpRead, settlementQuarter, settlementQuarter10m];
