import { Redis } from 'ioredis';

export const REDIS = Symbol('REDIS');

/** A shared client for rate limits and caches; commands fail fast instead of queueing forever. */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
}
