import { createHmac, createPrivateKey, sign } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@vc/config';
import { Principal, Role, SERVICE_NAMES } from '@vc/contracts';
import { DomainError } from '@vc/errors';
import { Jwk, loadServiceKey, SecretFiles, TrustedServiceKeys } from './keys';
import { writeSecrets } from './secrets-generator';
import { TokenIssuer } from './token-issuer';
import { ServiceTokenSigner, TokenService } from './token.service';

const provider: Principal = { sub: 'system-1', role: Role.Provider, org: '91310000MA1FL0001X' };

let dir: string;
let other: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vc-token-spec-'));
  other = mkdtempSync(join(tmpdir(), 'vc-token-spec-other-'));
  for (const d of [dir, other]) writeSecrets(d, { development: true, natsUsers: [], services: SERVICE_NAMES, identityProvider: true });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
});

const config = (secrets = dir, env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'test', SECRETS_DIR: secrets, ...env });
const trusted = (secrets = dir) => TrustedServiceKeys.load(secrets, false);
const service = (secrets = dir) => new TokenService(config(secrets), trusted(secrets));
const issuer = (secrets = dir) => TokenIssuer.fromSecrets(config(secrets));

async function code(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : `OTHER: ${(err as Error).message}`;
  }
  return undefined;
}

/** A token with exactly these header and claims, signed by the identity provider's key of `secrets`. */
function rawToken(claims: Record<string, unknown>, header: Record<string, unknown> = {}, secrets = dir): string {
  const jwk = JSON.parse(readFileSync(join(secrets, SecretFiles.idpSigningKey), 'utf8')) as Jwk;
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, format: 'jwk' });
  const head = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: jwk.kid, ...header })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${head}.${body}.${sign(null, Buffer.from(`${head}.${body}`), key).toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const base = () => ({ sub: provider.sub, role: provider.role, org: provider.org, iss: 'voucher-clearing', aud: 'voucher-clearing', iat: now(), exp: now() + 600 });

describe('TokenService: principals that cannot be forged (SPEC 2; asymmetric tokens)', () => {
  it('gives back the principal an identity provider signed, the same on every later request with it', async () => {
    const tokens = service();
    const token = await issuer().sign(provider, 600);
    expect(await tokens.verify(token)).toEqual(provider);
    expect(await tokens.verify(token)).toEqual(provider);
    expect(await tokens.verifyHeader(`Bearer ${token}`)).toEqual(provider);
  });

  it('refuses a token of an identity provider it does not trust, a tampered one, and none at all — before and after a good one was seen', async () => {
    const tokens = service();
    const good = await issuer().sign(provider, 600);
    await tokens.verify(good);
    const foreign = await issuer(other).sign(provider, 600);
    const [head, body, sig] = good.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), org: 'someone-else' })).toString('base64url');
    expect(await code(() => tokens.verify(foreign))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify(`${head}.${forgedBody}.${sig}`))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify(undefined))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verifyHeader('Basic abc'))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify('not.a.jwt'))).toBe('UNAUTHENTICATED');
  });

  it('refuses unsigned (alg none) and symmetric tokens, the public key used as an HMAC secret included', async () => {
    const tokens = service();
    const jwks = readFileSync(join(dir, SecretFiles.idpJwks), 'utf8');
    const kid = (JSON.parse(jwks).keys[0] as Jwk).kid;
    const b = Buffer.from(JSON.stringify(base())).toString('base64url');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid })).toString('base64url')}.${b}.`;
    const hsHead = Buffer.from(JSON.stringify({ alg: 'HS256', kid })).toString('base64url');
    const hs = `${hsHead}.${b}.${createHmac('sha256', jwks).update(`${hsHead}.${b}`).digest('base64url')}`;
    expect(await code(() => tokens.verify(none))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify(hs))).toBe('UNAUTHENTICATED');
  });

  it('refuses a correctly signed token without an expiry or issue time, from another issuer, or for another audience', async () => {
    const tokens = service();
    expect(await tokens.verify(rawToken(base()))).toEqual(provider);
    const { exp: _exp, ...noExpiry } = base();
    const { iat: _iat, ...noIssueTime } = base();
    const { iss: _iss, ...noIssuer } = base();
    expect(await code(() => tokens.verify(rawToken(noExpiry)))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify(rawToken(noIssueTime)))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify(rawToken({ ...base(), iss: 'another-province-idp' })))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify(rawToken(noIssuer)))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify(rawToken({ ...base(), aud: 'another-system' })))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token that lives longer than JWT_MAX_TTL_SECONDS: one expiring in 2100, or issued long before it expires', async () => {
    const tokens = service();
    expect(await code(() => tokens.verify(rawToken({ ...base(), exp: Date.UTC(2100, 0, 1) / 1000 })))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify(rawToken({ ...base(), iat: now() - 13 * 3600, exp: now() + 600 })))).toBe('UNAUTHENTICATED');
    expect(await code(() => tokens.verify(rawToken({ ...base(), iat: now() + 3600, exp: now() + 4000 })))).toBe('UNAUTHENTICATED');
    // within the bound: accepted
    expect(await tokens.verify(rawToken({ ...base(), iat: now() - 11 * 3600, exp: now() + 600 }))).toEqual(provider);
  });

  it('refuses a token once it has expired, even one it accepted before', async () => {
    const tokens = service();
    const token = await issuer().sign(provider, 1);
    expect(await tokens.verify(token)).toEqual(provider);
    await new Promise((r) => setTimeout(r, 2100));
    expect(await code(() => tokens.verify(token))).toBe('UNAUTHENTICATED');
  });

  it('an identity provider cannot mint a service principal: refused whoever holds its key', async () => {
    const tokens = service();
    expect(await code(() => tokens.verify(rawToken({ ...base(), sub: 'settlement', role: Role.Service, org: 'settlement' })))).toBe('UNAUTHENTICATED');
    await expect(issuer().sign({ sub: 'settlement', role: Role.Service, org: 'settlement' }, 60)).rejects.toThrow();
  });

  it('a service is known by its own key: its service token passes, one naming another service or role does not, nor one of a key not trusted', async () => {
    const tokens = service();
    const key = loadServiceKey(dir, 'settlement', trusted(), false);
    const token = await new ServiceTokenSigner(key, 'voucher-clearing').token();
    expect(await tokens.verify(token)).toEqual({ sub: 'settlement', role: Role.Service, org: 'settlement' });
    // the same key claiming to be redemption, or an operator
    const forge = async (claims: Record<string, unknown>) => {
      const { SignJWT } = await import('jose');
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
        .setIssuer('service:settlement')
        .setAudience('voucher-clearing')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key.privateKey);
    };
    expect(await code(async () => tokens.verify(await forge({ sub: 'redemption', role: Role.Service, org: 'redemption' })))).toBe('UNAUTHENTICATED');
    expect(await code(async () => tokens.verify(await forge({ sub: 'settlement', role: Role.DeltaOperator, org: 'DELTA' })))).toBe('UNAUTHENTICATED');
    // a service key of another installation
    const foreignKey = loadServiceKey(other, 'settlement', trusted(other), false);
    expect(await code(async () => tokens.verify(await new ServiceTokenSigner(foreignKey, 'voucher-clearing').token()))).toBe('UNAUTHENTICATED');
    // the gateway trusts no service key at all: a service token is nothing there
    expect(await code(() => new TokenService(config()).verify(token))).toBe('UNAUTHENTICATED');
  });

  it('hands out principals that cannot be changed by the code that receives them', async () => {
    const tokens = service();
    const p = await tokens.verify(await issuer().sign(provider, 600));
    expect(() => Object.assign(p, { org: 'someone-else' })).toThrow(TypeError);
    expect((await tokens.verify(await issuer().sign(provider, 600))).org).toBe(provider.org);
  });

  it('fails closed: production refuses development secrets, and a missing key set stops the process', () => {
    expect(() => new TokenService(loadConfig({ NODE_ENV: 'production', SECRETS_DIR: dir }))).toThrow(/development/);
    const empty = mkdtempSync(join(tmpdir(), 'vc-token-spec-empty-'));
    try {
      expect(() => new TokenService(config(empty))).toThrow(/missing/);
      writeSecrets(empty, { development: false, natsUsers: [], services: SERVICE_NAMES, identityProvider: true });
      // made for production: accepted there
      expect(() => new TokenService(loadConfig({ NODE_ENV: 'production', SECRETS_DIR: empty }))).not.toThrow();
      // a development key slipped into a production key set: refused by its key id
      copyFileSync(join(dir, SecretFiles.idpJwks), join(empty, SecretFiles.idpJwks));
      expect(() => new TokenService(loadConfig({ NODE_ENV: 'production', SECRETS_DIR: empty }))).toThrow(/development/);
      unlinkSync(join(empty, SecretFiles.idpJwks));
      expect(() => new TokenService(loadConfig({ NODE_ENV: 'production', SECRETS_DIR: empty }))).toThrow(/missing/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
