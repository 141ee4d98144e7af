import { MemoryRateLimiter, perMinute } from './rate-limiter';

describe('MemoryRateLimiter', () => {
  it('allows a burst, then refills at rps and says when to retry', () => {
    let now = 1_000_000;
    const limiter = new MemoryRateLimiter(2, 3, () => now);
    expect([1, 2, 3].map(() => limiter.take('k').allowed)).toEqual([true, true, true]);
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 500; // one token back at 2 per second
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(false);
    expect(limiter.take('other').allowed).toBe(true);
  });

  it('rounds Retry-After up to whole seconds for slow rates', () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(0.25, 1, () => now);
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 4 });
    now += 4000;
    expect(limiter.take('k').allowed).toBe(true);
  });

  it('never saves up more than the burst', () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(10, 2, () => now);
    now += 60_000;
    expect([1, 2, 3].map(() => limiter.take('k').allowed)).toEqual([true, true, false]);
  });

  it('limits a key by its own rate (a plugin\'s requestsPerMinute) instead of the default, also when the default is off', () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(0, 0, () => now);
    expect(Array.from({ length: 10 }, () => limiter.take('default').allowed).every(Boolean)).toBe(true);
    const rate = perMinute(3);
    expect([1, 2, 3, 4].map(() => limiter.take('k', rate).allowed)).toEqual([true, true, true, false]);
    expect(limiter.take('k', rate)).toEqual({ allowed: false, retryAfterSeconds: 20 });
    now += 20_000; // one request back every 20 s
    expect(limiter.take('k', rate).allowed).toBe(true);
    expect(limiter.take('k', rate).allowed).toBe(false);
  });
});
