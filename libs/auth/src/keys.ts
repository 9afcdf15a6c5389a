import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isServiceName, ServiceName } from '@vc/contracts';

/**
 * Where the system's secrets live under SECRETS_DIR (a mounted secret in Kubernetes, a directory
 * of the deployment with docker compose, `.infra/secrets` on a development machine, a temporary
 * directory per test suite). Each process is given only the files it needs:
 *
 *   nats/<user>.password              NATS password of a user (a service, gateway, ops, a provider system)
 *   service-keys/<service>.jwk.json   the service's own Ed25519 private key (JWK with kid and svc)
 *   service-keys/trusted.jwks.json    public keys of every service (JWKS, each key with kid and svc)
 *   idp/jwks.json                     public keys of the identity providers that sign principal tokens
 *   idp/signing.jwk.json              the development identity provider's private key (dev sign-in only)
 *   grpc/ca.crt, server.crt, server.key   mutual TLS of the provider gRPC interface
 */
export const SecretFiles = {
  natsPassword: (user: string) => join('nats', `${user}.password`),
  serviceKey: (service: ServiceName) => join('service-keys', `${service}.jwk.json`),
  trustedServiceKeys: join('service-keys', 'trusted.jwks.json'),
  idpJwks: join('idp', 'jwks.json'),
  idpSigningKey: join('idp', 'signing.jwk.json'),
  grpcDir: 'grpc',
} as const;

/** Key ids of keys made by the local set-up for development and tests; production refuses them. */
export const DEV_KEY_ID_PREFIX = 'dev-';

export class KeyConfigError extends Error {}

export interface Jwk {
  kty: string;
  crv?: string;
  x?: string;
  d?: string;
  kid?: string;
  alg?: string;
  use?: string;
  /** the service a service key belongs to (a member of our own) */
  svc?: string;
  [member: string]: unknown;
}

export function readSecretFile(dir: string | undefined, relative: string, what: string): string {
  if (!dir) throw new KeyConfigError(`SECRETS_DIR is not set: ${what} (${relative}) cannot be read`);
  const file = join(dir, relative);
  if (!existsSync(file)) throw new KeyConfigError(`${what} is missing: ${file}`);
  return readFileSync(file, 'utf8').trim();
}

export function secretFileExists(dir: string | undefined, relative: string): boolean {
  return !!dir && existsSync(join(dir, relative));
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new KeyConfigError(`${what} is not valid JSON`);
  }
}

function isEd25519(jwk: Jwk): boolean {
  return jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string';
}

/** A key set's keys, each with a key id; ids are unique. */
export function readJwks(text: string, what: string): Jwk[] {
  const set = parseJson<{ keys?: unknown }>(text, what);
  if (!Array.isArray(set.keys)) throw new KeyConfigError(`${what} has no "keys" array`);
  const keys = set.keys as Jwk[];
  const seen = new Set<string>();
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof key.kid !== 'string' || key.kid.length === 0) {
      throw new KeyConfigError(`${what}: every key needs a kid`);
    }
    if (seen.has(key.kid)) throw new KeyConfigError(`${what}: key id ${key.kid} appears twice`);
    if (key.d !== undefined) throw new KeyConfigError(`${what}: key ${key.kid} is a private key; a key set for verifying holds public keys only`);
    seen.add(key.kid);
  }
  return keys;
}

/**
 * A production process refuses a secrets directory the local set-up made (it carries a DEVELOPMENT
 * file): its keys and passwords were made for a development machine or a test suite.
 */
export function assertNotDevelopmentSecrets(dir: string | undefined, production: boolean): void {
  if (production && dir && existsSync(join(dir, 'DEVELOPMENT'))) {
    throw new KeyConfigError(`${dir} holds development secrets (it has a DEVELOPMENT file); production refuses them`);
  }
}

/** Refuses development keys where development is not allowed. */
export function assertNoDevKeys(kids: Iterable<string>, where: string, production: boolean): void {
  if (!production) return;
  for (const kid of kids) {
    if (kid.startsWith(DEV_KEY_ID_PREFIX)) {
      throw new KeyConfigError(`${where}: key ${kid} was made for development (kid starts with "${DEV_KEY_ID_PREFIX}") and is refused in production`);
    }
  }
}

export interface TrustedServiceKey {
  kid: string;
  service: ServiceName;
  key: KeyObject;
}

/**
 * The public keys of the services, by key id, each bound to the service it belongs to: an event
 * or a service token signed with a key speaks for that service only. Several keys per service
 * let a key be rotated (docs/operations.md).
 */
export class TrustedServiceKeys {
  private readonly byKid = new Map<string, TrustedServiceKey>();

  constructor(keys: Jwk[]) {
    for (const jwk of keys) {
      if (!isEd25519(jwk)) throw new KeyConfigError(`trusted service key ${jwk.kid} is not an Ed25519 public key`);
      if (!isServiceName(jwk.svc)) throw new KeyConfigError(`trusted service key ${jwk.kid} names no service of this system ("svc")`);
      this.byKid.set(jwk.kid!, { kid: jwk.kid!, service: jwk.svc, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, format: 'jwk' }) });
    }
  }

  static load(dir: string | undefined, production: boolean): TrustedServiceKeys {
    const keys = readJwks(readSecretFile(dir, SecretFiles.trustedServiceKeys, 'the trusted service keys'), SecretFiles.trustedServiceKeys);
    assertNoDevKeys(keys.map((k) => k.kid!), SecretFiles.trustedServiceKeys, production);
    return new TrustedServiceKeys(keys);
  }

  get(kid: string): TrustedServiceKey | undefined {
    return this.byKid.get(kid);
  }

  get kids(): string[] {
    return [...this.byKid.keys()];
  }
}

/** A service's own signing key: what its events and its service tokens are signed with. */
export interface ServiceKey {
  kid: string;
  service: ServiceName;
  privateKey: KeyObject;
}

export function loadServiceKey(dir: string | undefined, service: ServiceName, trusted: TrustedServiceKeys, production: boolean): ServiceKey {
  const file = SecretFiles.serviceKey(service);
  const jwk = parseJson<Jwk>(readSecretFile(dir, file, `the signing key of ${service}`), file);
  if (!isEd25519(jwk) || typeof jwk.d !== 'string' || typeof jwk.kid !== 'string') {
    throw new KeyConfigError(`${file} is not an Ed25519 private key with a kid`);
  }
  assertNoDevKeys([jwk.kid], file, production);
  const known = trusted.get(jwk.kid);
  // The key must be one the others trust, as this service's: a key they do not know would make
  // every event of this service land in quarantine, which is better refused at boot.
  if (!known || known.service !== service) {
    throw new KeyConfigError(`${file}: key ${jwk.kid} is not among the trusted keys of ${service} (${SecretFiles.trustedServiceKeys})`);
  }
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x!, d: jwk.d }, format: 'jwk' });
  const derived = createPublicKey(privateKey).export({ format: 'jwk' }) as Jwk;
  if (derived.x !== jwk.x || known.key.export({ format: 'jwk' }).x !== jwk.x) {
    throw new KeyConfigError(`${file}: the private key does not match the trusted public key ${jwk.kid}`);
  }
  return { kid: jwk.kid, service, privateKey };
}
