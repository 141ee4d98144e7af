// RedisRateLimiter against the real redis-server of the e2e run (test/jest.global-setup.mjs):
// the default bucket, a key's own rate (a plugin's requestsPerMinute), one bucket across replicas,
// and what happens when Redis does not answer.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { perMinute, RedisRateLimiter } from './rate-limiter';

describe('RedisRateLimiter', () => {
  const url = process.env.WERKBANK_TEST_REDIS_URL!;
  const clients: Redis[] = [];
  const connect = () => {
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    clients.push(redis);
    return redis;
  };
  let prefix: string;
  beforeEach(() => {
    prefix = `test-${randomUUID()}`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  });

  const takeAll = async (limiter: RedisRateLimiter, key: string, n: number, rate?: ReturnType<typeof perMinute>) => {
    const allowed: boolean[] = [];
    for (let i = 0; i < n; i++) allowed.push((await limiter.take(key, rate)).allowed);
    return allowed;
  };

  it('allows the default burst per key, then refuses with the seconds until a token is back', async () => {
    const limiter = new RedisRateLimiter(connect(), prefix, 0.5, 2);
    expect(await takeAll(limiter, 'k', 3)).toEqual([true, true, false]);
    expect(await limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 2 }); // one token at 0.5/s
    expect((await limiter.take('other')).allowed).toBe(true);
  });

  it('limits a key by its own rate instead of the default, also when the default is off', async () => {
    const limiter = new RedisRateLimiter(connect(), prefix, 0, 0);
    expect((await takeAll(limiter, 'unlimited', 10)).every(Boolean)).toBe(true);
    const rate = perMinute(3);
    expect(await takeAll(limiter, 'k', 4, rate)).toEqual([true, true, true, false]);
    expect(await limiter.take('k', rate)).toEqual({ allowed: false, retryAfterSeconds: 20 }); // one request back every 20 s
    // the bucket lives in Redis with an expiry, not forever
    const ttl = await clients[0].pttl(`${prefix}:gateway:rate:k`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(Math.ceil(3 / (3 / 60)) * 1000 + 1000);
  });

  it('is one bucket per key for every replica', async () => {
    const [a, b] = [new RedisRateLimiter(connect(), prefix, 0, 0), new RedisRateLimiter(connect(), prefix, 0, 0)];
    const rate = perMinute(2);
    const allowed = [];
    for (const limiter of [a, b, a, b]) allowed.push((await limiter.take('shared', rate)).allowed);
    expect(allowed).toEqual([true, true, false, false]);
  });

  it('allows the request and reports the error when Redis does not answer', async () => {
    const errors: unknown[] = [];
    const redis = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null, enableOfflineQueue: false });
    clients.push(redis);
    redis.on('error', () => undefined);
    const limiter = new RedisRateLimiter(redis, prefix, 1, 1, (error) => errors.push(error));
    expect(await takeAll(limiter, 'k', 3, perMinute(1))).toEqual([true, true, true]);
    expect(errors).toHaveLength(3);
  });
});
