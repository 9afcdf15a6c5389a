import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ServiceName } from '@vc/contracts';
import { DEV_KEY_ID_PREFIX, Jwk, readJwks, SecretFiles } from './keys';

/** A secrets directory made by the local set-up carries this file; production refuses such a directory. */
export const DEVELOPMENT_MARKER = 'DEVELOPMENT';

export interface SecretsOptions {
  /** keys and passwords for a development machine or a test suite (marked as such) */
  development: boolean;
  /** NATS users to make passwords for */
  natsUsers: readonly string[];
  /** services to make signing keys for */
  services: readonly ServiceName[];
  /** also make a development identity provider (signing key and its public key set) */
  identityProvider: boolean;
}

function write(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

function keyId(development: boolean, name: string): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return `${development ? DEV_KEY_ID_PREFIX : ''}${name}-${day}-${randomBytes(3).toString('hex')}`;
}

/** A new Ed25519 key pair as JWKs (private with `d`, public without), both with the kid. */
export function newEd25519Jwk(kid: string, extra: Record<string, unknown> = {}): { privateJwk: Jwk; publicJwk: Jwk } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as Jwk;
  const common = { kid, alg: 'EdDSA', use: 'sig', ...extra };
  const { d: _d, ...publicPart } = jwk;
  return { privateJwk: { ...jwk, ...common }, publicJwk: { ...publicPart, ...common } };
}

/**
 * A NATS password: a letter first and then hex (nats-server reads a password from its environment
 * like a config value, so it must not look like a number).
 */
export function newNatsPassword(development: boolean): string {
  return `${development ? 'dev' : 'p'}${randomBytes(24).toString('hex')}`;
}

function readKeySet(file: string): Jwk[] {
  return existsSync(file) ? readJwks(readFileSync(file, 'utf8'), file) : [];
}

/**
 * Fills a secrets directory (layout: libs/auth/src/keys.ts, SecretFiles) with what is missing: a
 * NATS password per user, a signing key per service with the public keys of all services in one
 * trusted key set, and (for development) an identity provider's key pair. Existing files are kept,
 * so running it again changes nothing.
 */
export function writeSecrets(dir: string, options: SecretsOptions): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (options.development) write(join(dir, DEVELOPMENT_MARKER), 'made by the local set-up for development and tests; refused in production\n');
  for (const user of options.natsUsers) {
    const file = join(dir, SecretFiles.natsPassword(user));
    if (!existsSync(file)) write(file, `${newNatsPassword(options.development)}\n`);
  }
  const trustedFile = join(dir, SecretFiles.trustedServiceKeys);
  const trusted = readKeySet(trustedFile);
  for (const service of options.services) {
    const file = join(dir, SecretFiles.serviceKey(service));
    if (existsSync(file)) continue;
    const { privateJwk, publicJwk } = newEd25519Jwk(keyId(options.development, service), { svc: service });
    write(file, `${JSON.stringify(privateJwk, null, 2)}\n`);
    trusted.push(publicJwk);
  }
  write(trustedFile, `${JSON.stringify({ keys: trusted }, null, 2)}\n`);
  if (options.identityProvider && !existsSync(join(dir, SecretFiles.idpSigningKey))) {
    const { privateJwk, publicJwk } = newEd25519Jwk(keyId(options.development, 'idp'));
    write(join(dir, SecretFiles.idpSigningKey), `${JSON.stringify(privateJwk, null, 2)}\n`);
    const jwks = readKeySet(join(dir, SecretFiles.idpJwks));
    write(join(dir, SecretFiles.idpJwks), `${JSON.stringify({ keys: [...jwks, publicJwk] }, null, 2)}\n`);
  }
}

/**
 * Key rotation, step 1: a new signing key for `service`; its public key joins the trusted set next
 * to the old one, which stays trusted until every event it signed has been consumed (step 2,
 * retireKey). Returns the new key id.
 */
export function rotateServiceKey(dir: string, service: ServiceName, development: boolean): string {
  const trustedFile = join(dir, SecretFiles.trustedServiceKeys);
  const trusted = readKeySet(trustedFile);
  const { privateJwk, publicJwk } = newEd25519Jwk(keyId(development, service), { svc: service });
  write(trustedFile, `${JSON.stringify({ keys: [...trusted, publicJwk] }, null, 2)}\n`);
  write(join(dir, SecretFiles.serviceKey(service)), `${JSON.stringify(privateJwk, null, 2)}\n`);
  return privateJwk.kid!;
}

/** Key rotation, step 2: a key no longer trusted (its events are consumed, its tokens expired). */
export function retireKey(dir: string, kid: string): boolean {
  let removed = false;
  for (const file of [SecretFiles.trustedServiceKeys, SecretFiles.idpJwks].map((f) => join(dir, f))) {
    const keys = readKeySet(file);
    const kept = keys.filter((k) => k.kid !== kid);
    if (kept.length !== keys.length) {
      write(file, `${JSON.stringify({ keys: kept }, null, 2)}\n`);
      removed = true;
    }
  }
  return removed;
}
