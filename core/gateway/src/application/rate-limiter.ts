import type { Redis } from 'ioredis';

/** The answer of a rate limiter: allowed, or refused with the seconds until a token is back. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const ALLOWED: RateDecision = { allowed: true };

/** A bucket's rate: `rps` tokens a second, at most `burst` saved up. */
export interface Rate {
  rps: number;
  burst: number;
}

/**
 * A token bucket per API key: the limiter's default rate, or the `rate` given for this key (a
 * plugin's `rateLimit` from the tenant's entitlements). A default `rps` of 0 means no default
 * limit: only keys with their own rate are limited.
 */
export interface RateLimiter {
  take(key: string, rate?: Rate): RateDecision | Promise<RateDecision>;
}

/** `requestsPerMinute` as a bucket: that many at once, refilled evenly over the minute. */
export function perMinute(requestsPerMinute: number): Rate {
  return { rps: requestsPerMinute / 60, burst: Math.max(1, requestsPerMinute) };
}

export const RATE_LIMITER = Symbol('RATE_LIMITER');

const retryAfter = (missing: number, rps: number): number => Math.max(1, Math.ceil(missing / rps));

/** Buckets in this process's memory: no I/O on the request path; each replica counts on its own. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; full: number }>();
  private lastSweep = 0;

  constructor(private readonly rps: number, private readonly burst: number, private readonly now: () => number = Date.now) {}

  take(key: string, rate?: Rate): RateDecision {
    const { rps, burst } = rate ?? { rps: this.rps, burst: this.burst };
    if (!(rps > 0)) return ALLOWED;
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key);
    const tokens = bucket ? Math.min(burst, bucket.tokens + ((now - bucket.at) * rps) / 1000) : burst;
    const full = (burst / rps) * 1000;
    if (tokens < 1) {
      if (bucket) Object.assign(bucket, { tokens, at: now, full });
      return { allowed: false, retryAfterSeconds: retryAfter(1 - tokens, rps) };
    }
    if (bucket) Object.assign(bucket, { tokens: tokens - 1, at: now, full });
    else this.buckets.set(key, { tokens: tokens - 1, at: now, full });
    return ALLOWED;
  }

  /** Forgets buckets that have filled up again (they equal a new one), so idle keys cost no memory. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= bucket.full) this.buckets.delete(key);
  }
}

// Refill, take one token if there is one, store; the time is Redis' own, so replicas' clocks do not matter.
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = burst else tokens = math.min(burst, tokens + (now - at) * rate / 1000) end
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
`;

/**
 * One bucket per key in Redis, shared by every gateway replica (a Lua script: one round trip,
 * atomic). If Redis does not answer, the request is allowed: a rate limit protects the
 * upstreams, it is not worth an outage.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis & { werkbankGatewayTake(key: string, rps: string, burst: string): Promise<[number, string]> };

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly rps: number,
    private readonly burst: number,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    // EVALSHA with the script cached in Redis, EVAL only when Redis does not know it yet
    redis.defineCommand('werkbankGatewayTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.redis = redis as RedisRateLimiter['redis'];
  }

  async take(key: string, rate?: Rate): Promise<RateDecision> {
    const { rps, burst } = rate ?? { rps: this.rps, burst: this.burst };
    if (!(rps > 0)) return ALLOWED;
    try {
      const [allowed, tokens] = await this.redis.werkbankGatewayTake(`${this.prefix}:gateway:rate:${key}`, String(rps), String(burst));
      return allowed === 1 ? ALLOWED : { allowed: false, retryAfterSeconds: retryAfter(1 - Number(tokens), rps) };
    } catch (error) {
      this.onError(error);
      return ALLOWED;
    }
  }
}

/** Rate limiting turned off (`GATEWAY_RATE_LIMIT_RPS=0`). */
export class NoRateLimiter implements RateLimiter {
  take(): RateDecision {
    return ALLOWED;
  }
}
