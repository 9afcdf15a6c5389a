import { IssuanceInit1764000000101 } from './1764000000101-issuance-init';

export const issuanceMigrations = [IssuanceInit1764000000101];
