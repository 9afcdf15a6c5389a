import { Scenario } from '../scenarios';
import { paymentsOverNats } from './payments';
import { settlementQuarter, settlementQuarter10m } from './settlement';

/** The scenarios measured against the ceiling, in order. */
export const SCENARIOS: Scenario[] = [paymentsOverNats, settlementQuarter, settlementQuarter10m];
