import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GATEWAY_VARIABLES, loadGatewayConfig } from './gateway.config';

describe('gateway configuration', () => {
  it('has defaults and reads overrides', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      port: 3001, journalDir: resolve('.werkbank/gateway-journal'), rateLimitRps: 50, rateLimitBurst: 100, rateLimitStore: 'memory', keyCacheMs: 2000,
    });
    expect(loadGatewayConfig({ GATEWAY_PORT: '4000', GATEWAY_RATE_LIMIT_RPS: '5', GATEWAY_RATE_LIMIT_STORE: 'redis', GATEWAY_JOURNAL_DIR: '/var/lib/j' }))
      .toMatchObject({ port: 4000, rateLimitRps: 5, rateLimitBurst: 10, rateLimitStore: 'redis', journalDir: '/var/lib/j' });
  });

  it('ingests usage in a thread of its own by default, in larger batches; in the event loop in small ones', () => {
    expect(loadGatewayConfig({})).toMatchObject({ usageIngestThread: true, usageIngestNice: 10, usageFlushMs: 500, usageBatchSize: 2000 });
    expect(loadGatewayConfig({ GATEWAY_USAGE_INGEST_THREAD: 'false' })).toMatchObject({ usageIngestThread: false, usageFlushMs: 200, usageBatchSize: 100 });
    expect(loadGatewayConfig({ GATEWAY_USAGE_INGEST_THREAD: 'false', GATEWAY_USAGE_BATCH_SIZE: '50', GATEWAY_USAGE_FLUSH_MS: '100' })).toMatchObject({ usageFlushMs: 100, usageBatchSize: 50 });
    expect(() => loadGatewayConfig({ GATEWAY_USAGE_INGEST_THREAD: 'yes', GATEWAY_USAGE_INGEST_NICE: '20' }))
      .toThrow(/GATEWAY_USAGE_INGEST_THREAD must be true or false[\s\S]*GATEWAY_USAGE_INGEST_NICE must be an integer between 0 and 19/);
  });

  it('names each bad variable', () => {
    expect(() => loadGatewayConfig({ GATEWAY_PORT: 'x', GATEWAY_RATE_LIMIT_STORE: 'memcached' })).toThrow(/GATEWAY_RATE_LIMIT_STORE[\s\S]*GATEWAY_PORT/);
  });

  it('keeps the key cache short enough that a revocation counts within 5 seconds', () => {
    expect(() => loadGatewayConfig({ GATEWAY_KEY_CACHE_MS: '3000' })).toThrow(/GATEWAY_KEY_CACHE_MS must be an integer between 0 and 2000/);
  });

  it('is documented in the README configuration table', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    expect(GATEWAY_VARIABLES.filter((name) => !readme.includes(`| \`${name}\` |`))).toEqual([]);
  });
});
