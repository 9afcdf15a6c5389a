import { RegistryInit1764000000001 } from './1764000000001-registry-init';
import { RegistryProviderVersion1764000000002 } from './1764000000002-registry-provider-version';
import { RegistryHeartbeats1764000000003 } from './1764000000003-registry-heartbeats';
import { RegistryStoredRefusals1764000000004 } from './1764000000004-registry-stored-refusals';

export const registryMigrations = [RegistryInit1764000000001, RegistryProviderVersion1764000000002, RegistryHeartbeats1764000000003, RegistryStoredRefusals1764000000004];
