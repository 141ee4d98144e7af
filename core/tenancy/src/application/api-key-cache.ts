import { Injectable, Logger } from '@nestjs/common';
import { ApiKeyVerifier } from './api-key-verifier';
import { KeyCache } from './key-cache';

/** How long the API reuses a key check: a revocation or suspension elsewhere is seen within 2 × this plus one lookup (under 5 s). */
export const API_KEY_CACHE_MS = 2_000;

/**
 * The API's cache of API-key checks, keyed by the key's hash: a request with a known key costs
 * no database round trip. Revoking a key or changing a tenant's status in this process clears it.
 */
@Injectable()
export class ApiKeyCache extends KeyCache {
  private static readonly logger = new Logger('ApiKeyCache');

  constructor(verifier: ApiKeyVerifier) {
    super((keyHash) => verifier.verifyHash(keyHash), { ttlMs: API_KEY_CACHE_MS, staleIfErrorMs: 0 }, (error) =>
      ApiKeyCache.logger.warn({ msg: 'could not check an API key', err: (error as Error).message }));
  }
}
