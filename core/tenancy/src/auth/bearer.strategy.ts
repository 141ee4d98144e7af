import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { CLOCK, Clock, ProblemException, Problems, TransactionRunner } from '@werkbank/kernel';
import { Strategy } from 'passport-http-bearer';
import type { TenancyPrincipal } from '../application/access';
import { ApiKeyCache } from '../application/api-key-cache';
import { ApiKeyVerifier } from '../application/api-key-verifier';
import { API_KEY_PREFIX, hasValidApiKeyChecksum } from '../domain/secrets';
import { UserRepository } from '../infrastructure/persistence/tenancy.repositories';
import { TokenService } from './token.service';

const unauthenticated = (code: string, detail: string) => new ProblemException(401, code, 'Unauthorized', detail);

/**
 * One bearer strategy for both credentials: `wbk_...` is an API key (looked up by hash, the
 * check cached for a few seconds: see ApiKeyCache), anything else must be an access JWT. Each
 * JWT request reloads the caller's grants, so a deactivation or a removed membership takes effect at once.
 */
@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly tokens: TokenService,
    private readonly users: UserRepository,
    private readonly apiKeys: ApiKeyCache,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async validate(token: string): Promise<TenancyPrincipal> {
    return token.startsWith(API_KEY_PREFIX) ? this.fromApiKey(token) : this.fromJwt(token);
  }

  private async fromJwt(token: string): Promise<TenancyPrincipal> {
    let userId: string;
    try {
      userId = this.tokens.verifyAccessToken(token).sub;
    } catch (error) {
      const expired = (error as Error).name === 'TokenExpiredError';
      throw expired
        ? unauthenticated('auth.token_expired', 'The access token has expired; get a new one with POST /v1/auth/refresh.')
        : unauthenticated('auth.invalid_token', 'The access token is not valid for this API; log in again.');
    }
    const reader = this.tx.reader();
    // both at once: one round trip to the database on the way of every request, not two
    const grants = this.users.grantsOf(reader, userId);
    grants.catch(() => undefined); // awaited below when the user is active
    const user = await this.users.findById(reader, userId);
    if (!user || user.status !== 'active') throw unauthenticated('auth.invalid_token', 'This account is not active.');
    return { kind: 'user', id: user.id, userId: user.id, email: user.email, scopes: ['*'], grants: await grants };
  }

  private async fromApiKey(key: string): Promise<TenancyPrincipal> {
    const found = hasValidApiKeyChecksum(key) ? await this.apiKeys.lookup(ApiKeyVerifier.hash(key)) : null;
    if (found?.outcome === 'unavailable') throw Problems.serviceUnavailable();
    const verified = found?.outcome === 'valid' && !(found.key.expiresAt && found.key.expiresAt <= this.clock.now()) ? found.key : null;
    if (!verified) throw unauthenticated('auth.invalid_api_key', 'The API key is unknown, expired or revoked.');
    if (verified.tenantStatus !== 'active') {
      throw new ProblemException(403, 'tenant.suspended', 'Tenant not active', `The tenant of this API key is ${verified.tenantStatus}; contact your administrator.`);
    }
    return { kind: 'api_key', id: verified.apiKeyId, tenantId: verified.tenantId, scopes: verified.scopes, grants: [{ tenantId: verified.tenantId, path: verified.tenantPath, role: null }] };
  }
}
