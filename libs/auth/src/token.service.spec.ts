import { createHmac } from 'node:crypto';
import { AppConfig, DEV_JWT_SECRET } from '@vc/config';
import { Role } from '@vc/contracts';
import { DomainError } from '@vc/errors';
import { TokenService } from './token.service';

const provider = { sub: 'system-1', role: Role.Provider, org: '91310000MA1FL0001X' };

function service(secret?: string): TokenService {
  const config = new AppConfig();
  if (secret) config.JWT_SECRET = secret;
  return new TokenService(config);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : 'OTHER';
  }
  return undefined;
}

describe('TokenService: every request acts as exactly one authenticated principal (SPEC 2, roles)', () => {
  it('gives back the principal a token was signed for, the same on every later request with it', () => {
    const tokens = service();
    const token = tokens.sign(provider);
    expect(tokens.verify(token)).toEqual(provider);
    expect(tokens.verify(token)).toEqual(provider);
    expect(tokens.verifyHeader(`Bearer ${token}`)).toEqual(provider);
  });

  it('refuses a token signed with another secret, a tampered one, and none at all — before and after a good one was seen', () => {
    const tokens = service();
    const good = tokens.sign(provider);
    tokens.verify(good);
    const foreign = service('another-secret-of-at-least-thirty-two-chars').sign(provider);
    const [head, body, sig] = good.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), org: 'someone-else' })).toString('base64url');
    expect(code(() => tokens.verify(foreign))).toBe('UNAUTHENTICATED');
    expect(code(() => tokens.verify(`${head}.${forgedBody}.${sig}`))).toBe('UNAUTHENTICATED');
    expect(code(() => tokens.verify(undefined))).toBe('UNAUTHENTICATED');
    expect(code(() => tokens.verifyHeader('Basic abc'))).toBe('UNAUTHENTICATED');
  });

  /** An HS256 token with exactly these claims, signed with the development key. */
  function rawToken(claims: Record<string, unknown>): string {
    const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${head}.${body}.${createHmac('sha256', DEV_JWT_SECRET).update(`${head}.${body}`).digest('base64url')}`;
  }

  it('refuses a correctly signed token without an expiry, or from another issuer, or for another audience', () => {
    const tokens = service();
    const base = { sub: 'system-1', role: Role.Provider, org: provider.org, iss: 'voucher-clearing', aud: 'voucher-clearing', exp: Math.floor(Date.now() / 1000) + 600 };
    expect(tokens.verify(rawToken(base))).toEqual(provider);
    const { exp: _exp, ...noExpiry } = base;
    expect(code(() => tokens.verify(rawToken(noExpiry)))).toBe('UNAUTHENTICATED');
    expect(code(() => tokens.verify(rawToken({ ...base, iss: 'another-province-idp' })))).toBe('UNAUTHENTICATED');
    const { iss: _iss, ...noIssuer } = base;
    expect(code(() => tokens.verify(rawToken(noIssuer)))).toBe('UNAUTHENTICATED');
    expect(code(() => tokens.verify(rawToken({ ...base, aud: 'another-system' })))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token once it has expired, even one it accepted before', async () => {
    const tokens = service();
    const token = tokens.sign(provider, 1);
    expect(tokens.verify(token)).toEqual(provider);
    await new Promise((r) => setTimeout(r, 1100));
    expect(code(() => tokens.verify(token))).toBe('UNAUTHENTICATED');
  });

  it('hands out principals that cannot be changed by the code that receives them', () => {
    const tokens = service();
    const p = tokens.verify(tokens.sign(provider));
    expect(() => Object.assign(p, { org: 'someone-else' })).toThrow(TypeError);
    expect(tokens.verify(tokens.sign(provider)).org).toBe(provider.org);
  });
});
