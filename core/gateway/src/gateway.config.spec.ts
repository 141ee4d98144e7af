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
