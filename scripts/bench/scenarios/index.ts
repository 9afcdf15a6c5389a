import { Scenario } from '../scenarios';
import { paymentsOverNats } from './payments';

/** The scenarios measured against the ceiling, in order. */
export const SCENARIOS: Scenario[] = [paymentsOverNats];
