import { commonFunctions } from '@vc/database';

/**
 * The functions of the registry schema as they are in force: the one place to read and change
 * them (see apps/redemption/src/sql/functions.ts; tests/integration/schema/sql-drift.test.ts
 * compares it with what the migrations leave). The registry has no views.
 */
export const REGISTRY_FUNCTIONS = {
  ...commonFunctions('registry'),
} as const;

export const REGISTRY_VIEWS = {} as const;
