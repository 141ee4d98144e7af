import { MemoryRateLimiter } from './rate-limiter';

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
});
