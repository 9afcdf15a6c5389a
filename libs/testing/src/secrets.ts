import { createPrivateKey, KeyObject, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Jwk, SecretFiles, writeSecrets } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { Principal, SERVICE_NAMES } from '@vc/contracts';
import { NATS_USERS } from '@vc/messaging';

let dir: string | null = null;

/**
 * The secrets of this test process, made once (as `npm run secrets` makes them for a development
 * machine): a NATS password per user, a signing key per service with the trusted key set, and a
 * development identity provider. Every suite's nats-server and services use them: the suites run
 * with the same locked-down NATS permissions and signed events as everything else.
 */
export function testSecretsDir(): string {
  if (dir) return dir;
  const made = mkdtempSync(join(tmpdir(), 'vc-secrets-'));
  writeSecrets(made, { development: true, natsUsers: NATS_USERS, services: SERVICE_NAMES, identityProvider: true });
  process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  dir = made;
  return made;
}

export function testNatsPassword(user: string): string {
  return readFileSync(join(testSecretsDir(), SecretFiles.natsPassword(user)), 'utf8').trim();
}

let idp: { key: KeyObject; kid: string } | null = null;

function identityProvider(): { key: KeyObject; kid: string } {
  if (idp) return idp;
  const jwk = JSON.parse(readFileSync(join(testSecretsDir(), SecretFiles.idpSigningKey), 'utf8')) as Jwk;
  idp = { key: createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, format: 'jwk' }), kid: jwk.kid! };
  return idp;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const defaults = new AppConfig();

/**
 * A principal token as the identity provider issues it (EdDSA, this system's issuer and audience),
 * signed with the test identity provider's key. Synchronous, so tests can build headers inline:
 * the signing side of an identity provider is outside the system; the services verify with `jose`.
 * `claims` overrides or adds claims (a forged or odd token).
 */
export function tokenFor(principal: Principal, ttlSeconds = 3600, claims: Record<string, unknown> = {}): string {
  const { key, kid } = identityProvider();
  const now = Math.floor(Date.now() / 1000);
  const { sub, role, org, province } = principal;
  const head = b64({ alg: 'EdDSA', kid, typ: 'JWT' });
  const body = b64({ sub, role, org, ...(province ? { province } : {}), iss: defaults.JWT_ISSUER, aud: defaults.JWT_AUDIENCE, iat: now, exp: now + ttlSeconds, ...claims });
  return `${head}.${body}.${sign(null, Buffer.from(`${head}.${body}`), key).toString('base64url')}`;
}
