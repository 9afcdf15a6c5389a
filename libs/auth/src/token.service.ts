import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '@vc/config';
import { Principal, Role } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { LRUCache } from 'lru-cache';

const ROLES = new Set<string>(Object.values(Role));

/** Tokens verified recently, kept until they expire: a client sends the same token with every request. */
const VERIFIED_TOKENS = 10_000;

/**
 * Signs and verifies principal tokens (HS256 JWT); the same token travels over HTTP and NATS. A
 * token must name this system's issuer and audience (JWT_ISSUER, JWT_AUDIENCE) and expire.
 */
@Injectable()
export class TokenService {
  private readonly jwt: JwtService;
  /**
   * A token's signature and claims are checked once; until its `exp` the same string maps to the
   * same principal (the secret is fixed for the life of the process and tokens are not revoked
   * before they expire). Saves the HMAC, base64 and JSON parse of every request after the first.
   */
  private readonly verified = new LRUCache<string, Principal>({ max: VERIFIED_TOKENS });

  constructor(private readonly config: AppConfig) {
    // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a PEM
    // public key on every verify and catches the failure, which costs more than the HMAC itself.
    const secret = createSecretKey(Buffer.from(config.JWT_SECRET)) as unknown as string;
    const claims = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
    this.jwt = new JwtService({ secret, signOptions: { algorithm: 'HS256', ...claims }, verifyOptions: { algorithms: ['HS256'], ...claims } });
  }

  sign(principal: Principal, ttlSeconds = this.config.JWT_TTL_SECONDS): string {
    const { sub, role, org, province } = principal;
    return this.jwt.sign({ role, org, ...(province ? { province } : {}) }, { subject: sub, expiresIn: ttlSeconds });
  }

  verify(token: string | undefined): Principal {
    if (!token) throw new DomainError(ErrorCode.UNAUTHENTICATED);
    const known = this.verified.get(token);
    if (known) return known;
    let claims: Record<string, unknown>;
    try {
      claims = this.jwt.verify(token);
    } catch {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, { message: 'the bearer token is invalid or expired' });
    }
    // A token without an expiry would be good for ever: refused, as one from another issuer or for another audience is.
    if (typeof claims.exp !== 'number') throw new DomainError(ErrorCode.UNAUTHENTICATED, { message: 'the bearer token has no expiry' });
    const { sub, role, org, province } = claims;
    if (typeof sub !== 'string' || typeof role !== 'string' || !ROLES.has(role) || typeof org !== 'string') {
      throw new DomainError(ErrorCode.UNAUTHENTICATED, { message: 'the bearer token names no valid principal' });
    }
    const principal: Principal = Object.freeze({
      sub,
      role: role as Role,
      org,
      ...(typeof province === 'string' ? { province: province as Principal['province'] } : {}),
    });
    const msLeft = claims.exp * 1000 - Date.now();
    if (msLeft > 0) this.verified.set(token, principal, { ttl: msLeft });
    return principal;
  }

  /** Parses `Bearer <token>`. */
  verifyHeader(header: string | undefined | null): Principal {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    return this.verify(match?.[1]);
  }
}
