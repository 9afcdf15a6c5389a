import { createPrivateKey, KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { AppConfig } from '@vc/config';
import { Principal, Role } from '@vc/contracts';
import { assertNoDevKeys, Jwk, KeyConfigError, readSecretFile, SecretFiles } from './keys';

/**
 * An identity provider's signing side: issues principal tokens (EdDSA) with this system's issuer
 * and audience. In this repository it serves the gateway's development sign-in and the dev-token
 * script, with SECRETS_DIR/idp/signing.jwk.json; in production tokens come from the provinces'
 * identity providers and no process of the system holds a signing key for principals.
 */
export class TokenIssuer {
  constructor(private readonly key: KeyObject, private readonly kid: string, private readonly claims: { issuer: string; audience: string }) {}

  static fromSecrets(config: AppConfig): TokenIssuer {
    const jwk = JSON.parse(readSecretFile(config.SECRETS_DIR, SecretFiles.idpSigningKey, 'the development identity provider\u2019s key')) as Jwk;
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || typeof jwk.kid !== 'string') {
      throw new KeyConfigError(`${SecretFiles.idpSigningKey} is not an Ed25519 private key with a kid`);
    }
    assertNoDevKeys([jwk.kid], SecretFiles.idpSigningKey, config.NODE_ENV === 'production');
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d }, format: 'jwk' });
    return new TokenIssuer(key, jwk.kid, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  }

  async sign(principal: Principal, ttlSeconds: number): Promise<string> {
    if (principal.role === Role.Service) throw new KeyConfigError('an identity provider does not issue service principals');
    const { sub, role, org, province } = principal;
    return new SignJWT({ role, org, ...(province ? { province } : {}) })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.kid })
      .setIssuer(this.claims.issuer)
      .setAudience(this.claims.audience)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }
}
