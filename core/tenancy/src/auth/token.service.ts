import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createSecretKey, KeyObject } from 'node:crypto';
import { CLOCK, Clock, ProblemException, Tx, uuidv7, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import { randomToken, sha256 } from '../domain/secrets';
import { TokenRepository } from '../infrastructure/persistence/tenancy.repositories';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  /** seconds until the access token expires */
  expiresIn: number;
}

export const JWT_ALGORITHM = 'HS256' as const;

export interface AccessClaims {
  sub: string;
  typ: 'access';
}

const invalidRefresh = () =>
  new ProblemException(401, 'auth.invalid_refresh_token', 'Invalid refresh token', 'The refresh token is unknown, expired or revoked; log in again.');

/** Access tokens are short-lived JWTs; refresh tokens are opaque, stored hashed, and rotate on every use. */
@Injectable()
export class TokenService {
  /**
   * The signing secret as a key object, made once: given the string, jsonwebtoken first tries to
   * read it as a public key on every verification (a failed parse that cost ~0.4 ms a request).
   */
  private readonly key: KeyObject;

  constructor(
    private readonly jwt: JwtService,
    private readonly tokens: TokenRepository,
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.key = createSecretKey(Buffer.from(config.jwtSecret));
  }

  signAccessToken(userId: string): string {
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    return this.jwt.sign(
      { sub: userId, typ: 'access', iat: nowSeconds, exp: nowSeconds + this.config.accessTokenTtlSeconds },
      { algorithm: JWT_ALGORITHM, secret: this.config.jwtSecret, issuer: this.config.jwtIssuer, audience: this.config.jwtAudience, jwtid: uuidv7() },
    );
  }

  /** Pinned algorithm, issuer, audience and expiry; anything else (alg none, bad signature) throws. */
  verifyAccessToken(token: string): AccessClaims {
    const claims = this.jwt.verify<AccessClaims & { exp: number }>(token, {
      algorithms: [JWT_ALGORITHM],
      // jsonwebtoken takes a KeyObject; @nestjs/jwt passes `secret` through and only types string | Buffer
      secret: this.key as unknown as Buffer,
      issuer: this.config.jwtIssuer,
      audience: this.config.jwtAudience,
      clockTimestamp: Math.floor(this.clock.now().getTime() / 1000),
    });
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw new Error('not an access token');
    return claims;
  }

  /** Issues a pair; `familyId` continues a rotation chain, else a new family starts (a login). */
  async issue(tx: Tx, userId: string, familyId: string = uuidv7()): Promise<TokenPair> {
    const now = this.clock.now();
    const id = uuidv7(now.getTime());
    const secret = randomToken(32);
    await this.tokens.insertRefreshToken(tx, {
      id, familyId, userId, tokenHash: sha256(secret),
      expiresAt: new Date(now.getTime() + this.config.refreshTokenTtlSeconds * 1000),
      rotatedAt: null, revokedAt: null, createdAt: now,
    });
    return { accessToken: this.signAccessToken(userId), refreshToken: `${id}.${secret}`, tokenType: 'Bearer', expiresIn: this.config.accessTokenTtlSeconds };
  }

  /**
   * Rotation: a refresh token works once. Presenting an already rotated token means it was
   * stolen or replayed, so the whole family is revoked (RFC 6819 5.2.2.3 / OAuth 2.1).
   * Returns the user id and family; throws 401 otherwise. The caller commits `tx` even on reuse.
   */
  async rotate(tx: Tx, refreshToken: string): Promise<{ userId: string; familyId: string } | { reused: true }> {
    const [id, secret] = refreshToken.split('.');
    if (!id || !secret || !/^[0-9a-f-]{36}$/.test(id)) throw invalidRefresh();
    const row = await this.tokens.lockRefreshToken(tx, id);
    const now = this.clock.now();
    if (!row || row.tokenHash !== sha256(secret)) throw invalidRefresh();
    if (row.revokedAt || row.expiresAt <= now) throw invalidRefresh();
    if (row.rotatedAt) {
      await this.tokens.revokeFamily(tx, row.familyId, now);
      return { reused: true };
    }
    await this.tokens.markRotated(tx, row.id, now);
    return { userId: row.userId, familyId: row.familyId };
  }

  async revoke(tx: Tx, refreshToken: string): Promise<string | null> {
    const [id, secret] = refreshToken.split('.');
    if (!id || !secret || !/^[0-9a-f-]{36}$/.test(id)) return null;
    const row = await this.tokens.lockRefreshToken(tx, id);
    if (!row || row.tokenHash !== sha256(secret)) return null;
    await this.tokens.revokeFamily(tx, row.familyId, this.clock.now());
    return row.userId;
  }
}
