import { Inject, Injectable } from '@nestjs/common';
import { ProblemException, REDIS, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import type { Redis } from 'ioredis';
import { sha256 } from '../domain/secrets';

/**
 * Fixed-window counters in Redis, shared by all API replicas: failed logins per account,
 * and all login attempts per client IP.
 */
@Injectable()
export class LoginRateLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
  ) {}

  private accountKey(email: string): string {
    return `${this.config.redisPrefix}:login:account:${sha256(email.toLowerCase())}`;
  }

  private ipKey(ip: string): string {
    return `${this.config.redisPrefix}:login:ip:${ip}`;
  }

  /** Counts this attempt against the IP and refuses when either limit is exhausted. */
  async check(email: string, ip: string): Promise<void> {
    const window = this.config.loginWindowSeconds;
    const ipKey = this.ipKey(ip);
    const results = await this.redis.multi().incr(ipKey).expire(ipKey, window, 'NX').get(this.accountKey(email)).ttl(ipKey).exec();
    const ipCount = Number(results?.[0]?.[1] ?? 0);
    const accountFailures = Number(results?.[2]?.[1] ?? 0);
    if (ipCount > this.config.loginMaxAttemptsPerIp || accountFailures >= this.config.loginMaxAttemptsPerAccount) {
      const ttl = Math.max(1, Number(results?.[3]?.[1] ?? window));
      throw new ProblemException(429, 'auth.rate_limited', 'Too many login attempts',
        `Too many login attempts; wait ${ttl} seconds before trying again, or reset your password.`, { retryAfter: ttl });
    }
  }

  async recordFailure(email: string): Promise<void> {
    const key = this.accountKey(email);
    await this.redis.multi().incr(key).expire(key, this.config.loginWindowSeconds, 'NX').exec();
  }

  async recordSuccess(email: string): Promise<void> {
    await this.redis.del(this.accountKey(email));
  }
}
