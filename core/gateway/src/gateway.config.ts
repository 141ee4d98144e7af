import { ConfigError } from '@werkbank/kernel';
import { resolve } from 'node:path';

/** Tunables of the metering gateway (environment variables, documented in README and docs/gateway.md). */
export interface GatewayConfig {
  port: number;
  /** where usage is journaled while metering is unreachable (one directory per gateway replica) */
  journalDir: string;
  /** per API key; 0 turns rate limiting off */
  rateLimitRps: number;
  rateLimitBurst: number;
  /** `memory`: per replica; `redis`: one bucket per key shared by every replica */
  rateLimitStore: 'memory' | 'redis';
  /** how long a key verification (valid or not) is reused; a revocation takes effect within about twice this */
  keyCacheMs: number;
  /** while the database cannot be reached, a key verified before keeps working this long (0: refuse with 503) */
  keyStaleIfErrorMs: number;
  /** how often a tenant's quotas are re-read from metering */
  entitlementsRefreshMs: number;
  usageFlushMs: number;
  usageBatchSize: number;
  /** an ingest that takes longer counts as failed (its batch is journaled; a late commit is deduplicated) */
  usageIngestTimeoutMs: number;
  /** `true`: metering's ingestion runs in a worker thread of its own (own database pool); `false`: in the gateway's event loop */
  usageIngestThread: boolean;
  /** nice value of the ingestion thread (Linux; 0 to 19): the request thread gets the CPU first */
  usageIngestNice: number;
  /** usage events held in memory at most; beyond that the gateway refuses requests it could not meter (503) */
  usageBufferMax: number;
  /** first delay before journaled usage is delivered again; doubles up to 30 × this, at most 30 s */
  journalRetryMs: number;
  /** a node that failed (connection error or 5xx) gets no requests for this long */
  upstreamDownMs: number;
  upstreamConnections: number;
  /** time to the response headers, and between two body chunks */
  upstreamTimeoutMs: number;
  /** request bodies the gateway reads (JSON of metered routes) may be this large */
  bodyLimitBytes: number;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

export const GATEWAY_VARIABLES = [
  'GATEWAY_PORT', 'GATEWAY_JOURNAL_DIR', 'GATEWAY_RATE_LIMIT_RPS', 'GATEWAY_RATE_LIMIT_BURST', 'GATEWAY_RATE_LIMIT_STORE',
  'GATEWAY_KEY_CACHE_MS', 'GATEWAY_KEY_STALE_IF_ERROR_MS', 'GATEWAY_ENTITLEMENTS_REFRESH_MS', 'GATEWAY_USAGE_FLUSH_MS',
  'GATEWAY_USAGE_BATCH_SIZE', 'GATEWAY_USAGE_INGEST_TIMEOUT_MS', 'GATEWAY_USAGE_BUFFER_MAX', 'GATEWAY_JOURNAL_RETRY_MS',
  'GATEWAY_UPSTREAM_DOWN_MS', 'GATEWAY_UPSTREAM_CONNECTIONS', 'GATEWAY_UPSTREAM_TIMEOUT_MS', 'GATEWAY_BODY_LIMIT',
  'GATEWAY_USAGE_INGEST_THREAD', 'GATEWAY_USAGE_INGEST_NICE',
] as const;

type Variable = (typeof GATEWAY_VARIABLES)[number];

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const problems: string[] = [];
  const raw = (name: Variable): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const int = (name: Variable, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${value}")`);
      return fallback;
    }
    return n;
  };
  const store = raw('GATEWAY_RATE_LIMIT_STORE') ?? 'memory';
  if (store !== 'memory' && store !== 'redis') problems.push(`GATEWAY_RATE_LIMIT_STORE must be memory or redis (got "${store}")`);
  const rateLimitRps = int('GATEWAY_RATE_LIMIT_RPS', 50, 0);
  const thread = raw('GATEWAY_USAGE_INGEST_THREAD') ?? 'true';
  if (thread !== 'true' && thread !== 'false') problems.push(`GATEWAY_USAGE_INGEST_THREAD must be true or false (got "${thread}")`);
  const config: GatewayConfig = {
    port: int('GATEWAY_PORT', 3001, 0, 65535),
    journalDir: resolve(raw('GATEWAY_JOURNAL_DIR') ?? './.werkbank/gateway-journal'),
    rateLimitRps,
    rateLimitBurst: int('GATEWAY_RATE_LIMIT_BURST', Math.max(1, rateLimitRps * 2), 1),
    rateLimitStore: store === 'redis' ? 'redis' : 'memory',
    keyCacheMs: int('GATEWAY_KEY_CACHE_MS', 2000, 0, 2000),
    keyStaleIfErrorMs: int('GATEWAY_KEY_STALE_IF_ERROR_MS', 60_000, 0),
    entitlementsRefreshMs: int('GATEWAY_ENTITLEMENTS_REFRESH_MS', 5000, 50),
    // in the ingestion thread a batch costs the request thread nothing, and fewer, larger batches
    // cost the machine less (transactions, commits, metering's outbox); in the event loop a batch
    // holds it for its CPU time (~9 µs an event), so batches stay small there
    usageFlushMs: int('GATEWAY_USAGE_FLUSH_MS', thread === 'false' ? 200 : 500, 1),
    usageBatchSize: int('GATEWAY_USAGE_BATCH_SIZE', thread === 'false' ? 100 : 2000, 1, 10_000),
    usageIngestTimeoutMs: int('GATEWAY_USAGE_INGEST_TIMEOUT_MS', 5000, 100),
    usageIngestThread: thread !== 'false',
    usageIngestNice: int('GATEWAY_USAGE_INGEST_NICE', 10, 0, 19),
    usageBufferMax: int('GATEWAY_USAGE_BUFFER_MAX', 100_000, 1),
    journalRetryMs: int('GATEWAY_JOURNAL_RETRY_MS', 1000, 10),
    upstreamDownMs: int('GATEWAY_UPSTREAM_DOWN_MS', 10_000, 0),
    upstreamConnections: int('GATEWAY_UPSTREAM_CONNECTIONS', 128, 1),
    upstreamTimeoutMs: int('GATEWAY_UPSTREAM_TIMEOUT_MS', 300_000, 100),
    bodyLimitBytes: int('GATEWAY_BODY_LIMIT', 16 * 1024 * 1024, 1024),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
