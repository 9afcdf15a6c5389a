import { RegistryInit1764000000001 } from './1764000000001-registry-init';

export const registryMigrations = [RegistryInit1764000000001];
