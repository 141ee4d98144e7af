import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CLOCK, loadConfig, MAILER, SystemClock, WerkbankConfig } from '@werkbank/kernel';
import { ADMIN_EMAIL, ADMIN_PASSWORD, MemoryMailer, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from './test-fixtures';
import { createApp, dataSourceOptions, runMigrations } from '@werkbank/platform';
import { loadMeteringConfig } from '@werkbank/metering';
import type { PluginCandidate } from '@werkbank/plugin-host';
import type { ServicePlugin } from '@werkbank/plugin-sdk';
import { ProvisioningConfig } from '@werkbank/provisioning';
import { bootstrapOperator } from '@werkbank/tenancy';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createTestDatabase, testRedisUrl } from './test-database';
import { TravelClock } from './test-clock';

/** Fast retries and reconciliation, so fault tests finish in seconds. */
export const TEST_PROVISIONING: ProvisioningConfig = {
  maxAttempts: 5, retryDelayMs: 50, stepTimeoutMs: 10_000, reconcileIntervalMs: 500, inspectIntervalMs: 1_000, jobLockMs: 2_000, concurrency: 2,
};

export interface TestEnvironmentOptions {
  /** plugins to load, as `{ packageName, plugin }` or just the plugin (package name derived from its id) */
  plugins?: Array<PluginCandidate | ServicePlugin<never>>;
  /** configuration variables on top of the test defaults */
  env?: Record<string, string>;
  /** run the worker (outbox relay, consumers, provisioning engine) in-process too; default true when plugins are given */
  worker?: boolean;
  provisioning?: Partial<ProvisioningConfig>;
}

export interface TestEnvironment {
  app: NestFastifyApplication;
  http: ReturnType<typeof request>;
  config: WerkbankConfig;
  dataSource: DataSource;
  mailer: MemoryMailer;
  clock: TravelClock;
  /** every log line the core and the plugins wrote (JSON), for asserting what must never be logged */
  logs: string[];
  operatorTenantId: string;
  auth(token: string): { Authorization: string };
  login(email: string, password: string): Promise<{ accessToken: string; refreshToken: string }>;
  adminToken(): Promise<string>;
  /** a tenant under the operator, created by the operator admin */
  createTenant(overrides?: Record<string, unknown>): Promise<{ id: string; name: string }>;
  /** polls GET /v1/services/:id until `state` (or throws after `timeoutMs` with the last answer) */
  waitForServiceState(instanceId: string, state: string | string[], timeoutMs?: number): Promise<Record<string, unknown>>;
  countRows(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

function asCandidate(p: PluginCandidate | ServicePlugin<never>): PluginCandidate {
  return 'manifest' in p ? { packageName: `@werkbank/plugin-${p.manifest.id}`, plugin: p as unknown as ServicePlugin } : p;
}

let tenantCounter = 0;

/**
 * Boots the real core in-process — the API and (with plugins) the worker — on a database of
 * its own and the test Redis, with the given plugins loaded and a clock the test controls.
 */
export async function createTestEnvironment(options: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
  const db = await createTestDatabase();
  const logs: string[] = [];
  const echo = process.env.WERKBANK_TEST_LOGS === '1';
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    // A Redis database and a key prefix of its own: parallel suites never see each other's keys or jobs.
    REDIS_URL: `${testRedisUrl().replace(/\/\d*$/, '')}/${1 + Math.floor(Math.random() * 15)}`,
    REDIS_PREFIX: `test-${randomBytes(6).toString('hex')}`,
    JWT_SECRET: TEST_JWT_SECRET,
    WERKBANK_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    WERKBANK_ADMIN_EMAIL: ADMIN_EMAIL,
    WERKBANK_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LOG_LEVEL: 'debug',
    ...options.env,
  });
  await runMigrations(config.databaseUrl);
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl));
  await dataSource.initialize();
  const clock = new TravelClock();
  const boot = await bootstrapOperator(dataSource, config, new SystemClock());
  const mailer = new MemoryMailer();
  const plugins = options.plugins?.map(asCandidate);
  const app = await createApp(config, {
    logger: true,
    logDestination: { write: (line) => { logs.push(line); if (echo) process.stdout.write(line); } },
    overrides: [{ provide: MAILER, useValue: mailer }, { provide: CLOCK, useValue: clock }],
    plugins,
    pluginEnv: { ...process.env, ...options.env },
    worker: options.worker ?? (plugins !== undefined && plugins.length > 0),
    provisioning: { ...TEST_PROVISIONING, ...options.provisioning },
    // METERING_* from `env` (e.g. a long METERING_COLLECT_INTERVAL_MS when a test runs collection rounds itself);
    // no collection lag by default, so a test that deprovisions an instance with a collector does not wait a minute
    metering: loadMeteringConfig({ METERING_COLLECT_LAG_MS: '0', ...process.env, ...options.env }),
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const http = request(app.getHttpServer());
  let adminToken: string | undefined;

  const env: TestEnvironment = {
    app, http, config, dataSource, mailer, clock, logs, operatorTenantId: boot.operatorTenantId,
    auth: (token) => ({ Authorization: `Bearer ${token}` }),
    async login(email, password) {
      const res = await http.post('/v1/auth/login').send({ email, password });
      if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async adminToken() {
      adminToken ??= (await env.login(ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
      return adminToken;
    },
    async createTenant(overrides = {}) {
      tenantCounter += 1;
      const body = { name: `Tenant ${tenantCounter}`, legalName: `Tenant ${tenantCounter} GmbH`, country: 'DE', currency: 'EUR', billingEmail: `billing${tenantCounter}@example.test`, ...overrides };
      const res = await http.post('/v1/tenants').set(env.auth(await env.adminToken())).send(body);
      if (res.status !== 201) throw new Error(`creating a tenant failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async waitForServiceState(instanceId, state, timeoutMs = 15_000) {
      const wanted = Array.isArray(state) ? state : [state];
      const deadline = Date.now() + timeoutMs;
      let last: Record<string, unknown> = {};
      while (Date.now() < deadline) {
        const res = await http.get(`/v1/services/${instanceId}`).set(env.auth(await env.adminToken()));
        last = res.body;
        if (res.status === 200 && wanted.includes(String(res.body.state))) return res.body;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`service ${instanceId} did not reach ${wanted.join('/')} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    },
    async countRows() {
      const tables: Array<{ table_name: string }> = await dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`,
      );
      const counts: Record<string, number> = {};
      for (const { table_name } of tables) {
        const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM "${table_name}"`);
        counts[table_name] = n;
      }
      return counts;
    },
    async close() {
      await app.close();
      await dataSource.destroy();
      await db.drop();
    },
  };
  return env;
}
