import { Provider } from '@nestjs/common';
import { loadServiceKey, ServiceKey, ServiceTokenSigner, TrustedServiceKeys } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { isServiceName, ServiceName } from '@vc/contracts';
import { EventSigner, EventVerifier } from '@vc/messaging';
import { SERVICE_DEFINITION, ServiceDefinition } from './service-definition';

export const SERVICE_KEY = Symbol('SERVICE_KEY');

/** The service a definition speaks for: its own name, or the service a tool of it acts as (the settle CLI). */
export function identityOf(def: ServiceDefinition): ServiceName {
  const identity = def.identity ?? def.name;
  if (!isServiceName(identity)) throw new Error(`${identity} is not a service of this system (libs/contracts SERVICE_NAMES)`);
  return identity;
}

/**
 * A service's keys: the public keys of every service (to verify events and service tokens), and
 * its own private key, which signs the events it publishes and the service tokens of its requests.
 * Read from SECRETS_DIR at boot; missing or mismatched keys stop the service (fail closed).
 */
export function serviceKeyProviders(): Provider[] {
  const production = (c: AppConfig) => c.NODE_ENV === 'production';
  return [
    { provide: TrustedServiceKeys, inject: [AppConfig], useFactory: (c: AppConfig) => TrustedServiceKeys.load(c.SECRETS_DIR, production(c)) },
    {
      provide: SERVICE_KEY,
      inject: [AppConfig, TrustedServiceKeys, SERVICE_DEFINITION],
      useFactory: (c: AppConfig, trusted: TrustedServiceKeys, def: ServiceDefinition) => loadServiceKey(c.SECRETS_DIR, identityOf(def), trusted, production(c)),
    },
    { provide: EventSigner, inject: [SERVICE_KEY], useFactory: (key: ServiceKey) => new EventSigner(key) },
    { provide: EventVerifier, inject: [TrustedServiceKeys], useFactory: (trusted: TrustedServiceKeys) => new EventVerifier(trusted) },
    { provide: ServiceTokenSigner, inject: [SERVICE_KEY, AppConfig], useFactory: (key: ServiceKey, c: AppConfig) => new ServiceTokenSigner(key, c.JWT_AUDIENCE) },
  ];
}
