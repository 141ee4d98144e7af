import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config';

const base = {
  DATABASE_URL: 'postgres://u:p@localhost:5432/werkbank',
  REDIS_URL: 'redis://localhost:6379',
  JWT_SECRET: 'x'.repeat(32),
  WERKBANK_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({ port: 3000, nodeEnv: 'development', adminEmail: 'admin@werkbank.local', accessTokenTtlSeconds: 900, jwtAudience: 'werkbank-api', jwtIssuer: 'werkbank' });
    expect(config.adminPassword).toBeUndefined();
  });

  it('reads PORT, durations and the admin credentials', () => {
    const config = loadConfig({ ...base, PORT: '8080', ACCESS_TOKEN_TTL: '5m', REFRESH_TOKEN_TTL: '7d', WERKBANK_ADMIN_EMAIL: 'Ops@Example.org', WERKBANK_ADMIN_PASSWORD: 'long-enough-pass' });
    expect(config).toMatchObject({ port: 8080, accessTokenTtlSeconds: 300, refreshTokenTtlSeconds: 7 * 86400, adminEmail: 'ops@example.org', adminPassword: 'long-enough-pass' });
  });

  it('reports every bad variable at once, each with what to do', () => {
    let error: unknown;
    try {
      loadConfig({ WERKBANK_ENCRYPTION_KEY: 'c2hvcnQ=', PORT: 'eighty', JWT_SECRET: 'short', REDIS_URL: 'http://x', SMTP_URL: 'nonsense', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/DATABASE_URL is required/);
    expect(problems).toMatch(/PORT must be an integer/);
    expect(problems).toMatch(/JWT_SECRET must be at least 32 characters/);
    expect(problems).toMatch(/REDIS_URL must use redis: or rediss:/);
    expect(problems).toMatch(/SMTP_URL is not a valid URL/);
    expect(problems).toMatch(/LOG_LEVEL must be one of/);
    expect(problems).toMatch(/WERKBANK_ENCRYPTION_KEY must be the base64 encoding of 32 bytes/);
  });

  it('refuses a short WERKBANK_ADMIN_PASSWORD', () => {
    expect(() => loadConfig({ ...base, WERKBANK_ADMIN_PASSWORD: 'short' })).toThrow(/WERKBANK_ADMIN_PASSWORD must be at least 12/);
  });
});

describe('configuration documentation', () => {
  it('lists every variable in the README configuration table', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    const missing = CONFIG_VARIABLES.filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });

  it('validates WERKBANK_ENCRYPTION_KEY as 32 bytes of base64', () => {
    expect(loadConfig({ ...base, WERKBANK_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') }).encryptionKey).toHaveLength(32);
    expect(() => loadConfig({ ...base, WERKBANK_ENCRYPTION_KEY: 'c2hvcnQ=' })).toThrow(/WERKBANK_ENCRYPTION_KEY must be the base64 encoding of 32 bytes/);
  });
});
