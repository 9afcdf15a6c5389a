import { RegistryInit1764000000001 } from './1764000000001-registry-init';
import { RegistryProviderVersion1764000000002 } from './1764000000002-registry-provider-version';

export const registryMigrations = [RegistryInit1764000000001, RegistryProviderVersion1764000000002];
