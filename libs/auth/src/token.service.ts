import { Injectable, Optional } from '@nestjs/common';
import { createLocalJWKSet, decodeProtectedHeader, JWTPayload, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { AppConfig } from '@vc/config';
import { Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { assertNoDevKeys, assertNotDevelopmentSecrets, readJwks, readSecretFile, SecretFiles, ServiceKey, TrustedServiceKeys } from './keys';

const ROLES = new Set<string>(Object.values(Role));

/** Tokens verified recently, kept until they expire: a client sends the same token with every request. */
const VERIFIED_TOKENS = 10_000;

/** Algorithms an identity provider may sign principal tokens with (asymmetric only). */
const IDP_ALGORITHMS = ['EdDSA', 'ES256'];

/** A service token lives this long: enough for one request and its retries. */
export const SERVICE_TOKEN_TTL_SECONDS = 300;

/** The issuer a service token names: the service itself. */
export const serviceIssuer = (service: string) => `service:${service}`;

function refused(message: string): DomainError {
  return new DomainError(ErrorCode.UNAUTHENTICATED, { message });
}

/**
 * Verifies principal tokens (asymmetric JWTs). Two kinds, told apart by the key that signed them:
 * - a person's or an organisation's token, signed by an identity provider whose public keys are in
 *   SECRETS_DIR/idp/jwks.json (the gateway's development sign-in, a province's identity provider in
 *   production); it names this system's issuer and audience, expires within JWT_MAX_TTL_SECONDS,
 *   and can never carry the `service` role;
 * - a service token, signed by a service's own key (SECRETS_DIR/service-keys/trusted.jwks.json):
 *   role `service`, subject and organisation the service that signed it, nothing else.
 * Services hold public keys only, so no holder of the verifying material can mint a principal.
 */
@Injectable()
export class TokenService {
  private readonly verified = new LRUCache<string, Principal>({ max: VERIFIED_TOKENS });
  private readonly idpKeys: ReturnType<typeof createLocalJWKSet>;
  private readonly idpKids: Set<string>;
  private readonly serviceKeys: TrustedServiceKeys | null;

  constructor(private readonly config: AppConfig, @Optional() serviceKeys?: TrustedServiceKeys) {
    const production = config.NODE_ENV === 'production';
    assertNotDevelopmentSecrets(config.SECRETS_DIR, production);
    const jwks = readJwks(readSecretFile(config.SECRETS_DIR, SecretFiles.idpJwks, 'the identity providers\u2019 public keys'), SecretFiles.idpJwks);
    assertNoDevKeys(
      jwks.map((k) => k.kid!),
      SecretFiles.idpJwks,
      production,
    );
    this.idpKids = new Set(jwks.map((k) => k.kid!));
    this.idpKeys = createLocalJWKSet({ keys: jwks as never });
    this.serviceKeys = serviceKeys ?? null;
  }

  /** The principal of a token, or UNAUTHENTICATED. */
  async verify(token: string | undefined): Promise<Principal> {
    if (!token) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    const known = this.verified.get(token);
    if (known) return known;
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw refused('the bearer token is not a JWT');
    }
    if (!kid) throw refused('the bearer token names no key (kid)');
    const serviceKey = this.serviceKeys?.get(kid);
    const principal = serviceKey ? await this.verifyService(token, serviceKey.service, serviceKey.key) : await this.verifyIdp(token, kid);
    const msLeft = (principal.exp as number) * 1000 - Date.now();
    const frozen: Principal = Object.freeze({ sub: principal.sub, role: principal.role, org: principal.org, ...(principal.province ? { province: principal.province } : {}) });
    if (msLeft > 0) this.verified.set(token, frozen, { ttl: msLeft });
    return frozen;
  }

  /** Parses `Bearer <token>`. */
  verifyHeader(header: string | undefined | null): Promise<Principal> {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    return this.verify(match?.[1]);
  }

  private async verifyIdp(token: string, kid: string): Promise<Principal & { exp: number }> {
    if (!this.idpKids.has(kid)) throw refused('the bearer token is signed with a key this system does not trust');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, this.idpKeys, {
        algorithms: IDP_ALGORITHMS,
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch {
      throw refused('the bearer token is invalid or expired');
    }
    this.assertLifetime(claims);
    const principal = this.principalOf(claims);
    // A service is identified by its own key, never by a token an identity provider (or a user with
    // its key) could mint.
    if (principal.role === Role.Service) throw refused('a service principal is accepted only with a service\u2019s own credentials');
    return principal;
  }

  private async verifyService(token: string, service: string, key: import('node:crypto').KeyObject): Promise<Principal & { exp: number }> {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, key, {
        algorithms: ['EdDSA'],
        issuer: serviceIssuer(service),
        audience: this.config.JWT_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch {
      throw refused('the service token is invalid or expired');
    }
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || claims.exp - claims.iat > SERVICE_TOKEN_TTL_SECONDS) {
      throw refused('a service token lives at most five minutes');
    }
    const principal = this.principalOf(claims);
    if (principal.role !== Role.Service || principal.sub !== service || principal.org !== service) {
      throw refused(`a key of ${service} signs ${service}\u2019s own service principal only`);
    }
    return principal;
  }

  private assertLifetime(claims: JWTPayload): void {
    const now = Math.floor(Date.now() / 1000);
    const max = this.config.JWT_MAX_TTL_SECONDS;
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') throw refused('the bearer token has no expiry or issue time');
    if (claims.exp - now > max || claims.exp - claims.iat > max) throw refused(`the bearer token lives longer than ${max} s`);
    if (claims.iat > now + 60) throw refused('the bearer token is issued in the future');
  }

  private principalOf(claims: JWTPayload): Principal & { exp: number } {
    const { sub, role, org, province } = claims as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof role !== 'string' || !ROLES.has(role) || typeof org !== 'string' || org.length === 0) {
      throw refused('the bearer token names no valid principal');
    }
    return {
      sub,
      role: role as Role,
      org,
      ...(typeof province === 'string' ? { province: province as Principal['province'] } : {}),
      exp: claims.exp as number,
    };
  }
}

/** Signs this service's own service tokens (role `service`), for requests it makes of another service. */
export class ServiceTokenSigner {
  private cached: { token: string; until: number } | null = null;

  constructor(private readonly key: ServiceKey, private readonly audience: string) {}

  async token(): Promise<string> {
    const now = Date.now();
    if (this.cached && this.cached.until > now) return this.cached.token;
    const token = await new SignJWT({ role: Role.Service, org: this.key.service })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid })
      .setIssuer(serviceIssuer(this.key.service))
      .setAudience(this.audience)
      .setSubject(this.key.service)
      .setIssuedAt()
      .setExpirationTime(`${SERVICE_TOKEN_TTL_SECONDS}s`)
      .sign(this.key.privateKey);
    // reused for most of its life, renewed well before it expires
    this.cached = { token, until: now + (SERVICE_TOKEN_TTL_SECONDS / 2) * 1000 };
    return token;
  }
}
