import type { Redis } from 'ioredis';

/** The answer of a rate limiter: allowed, or refused with the seconds until a token is back. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const ALLOWED: RateDecision = { allowed: true };

/** A token bucket per API key: `rps` tokens a second, at most `burst` saved up. */
export interface RateLimiter {
  take(key: string): RateDecision | Promise<RateDecision>;
}

export const RATE_LIMITER = Symbol('RATE_LIMITER');

const retryAfter = (missing: number, rps: number): number => Math.max(1, Math.ceil(missing / rps));

/** Buckets in this process's memory: no I/O on the request path; each replica counts on its own. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;

  constructor(private readonly rps: number, private readonly burst: number, private readonly now: () => number = Date.now) {}

  take(key: string): RateDecision {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key);
    const tokens = bucket ? Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.rps) / 1000) : this.burst;
    if (tokens < 1) {
      if (bucket) Object.assign(bucket, { tokens, at: now });
      return { allowed: false, retryAfterSeconds: retryAfter(1 - tokens, this.rps) };
    }
    if (bucket) Object.assign(bucket, { tokens: tokens - 1, at: now });
    else this.buckets.set(key, { tokens: tokens - 1, at: now });
    return ALLOWED;
  }

  /** Forgets buckets that have filled up again (they equal a new one), so idle keys cost no memory. */
  private sweep(now: number): void {
    const full = (this.burst / this.rps) * 1000;
    if (now - this.lastSweep < Math.max(full, 10_000)) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= full) this.buckets.delete(key);
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

  async take(key: string): Promise<RateDecision> {
    try {
      const [allowed, tokens] = await this.redis.werkbankGatewayTake(`${this.prefix}:gateway:rate:${key}`, String(this.rps), String(this.burst));
      return allowed === 1 ? ALLOWED : { allowed: false, retryAfterSeconds: retryAfter(1 - Number(tokens), this.rps) };
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
