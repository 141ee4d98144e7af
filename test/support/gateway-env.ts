// The real core (API + worker, on a database of its own) with the metering fixture plugin, its
// fake upstream(s), and the metering gateway booted in-process on a free port: what the
// test/gateway suites share.
//
//   const env = await startGatewayEnv();                   // in beforeAll
//   const { key } = await env.key(tenant.id, ['gateway:metered']);
//   await fetch(`${env.url}/metered/api/tags`, { headers: { authorization: `Bearer ${key}` } });
//   await env.close();                                      // in afterAll
import { loadGatewayConfig } from '@werkbank/gateway';
import type { WerkbankConfig } from '@werkbank/kernel';
import { createGateway, type Gateway } from '@werkbank/platform';
import { createTestEnvironment, type TestEnvironment } from '@werkbank/plugin-testkit';
import type { ServicePlugin } from '@werkbank/plugin-sdk';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeStreamingUpstream } from '../fixtures/gateway/fake-streaming-upstream';
import { meteredPlugin } from '../fixtures/gateway/metered.plugin';
import { waitFor } from './wait-for';

/** Settings that make the suites fast; a suite overrides what it is about. */
export const FAST_GATEWAY = {
  GATEWAY_USAGE_FLUSH_MS: '20',
  GATEWAY_ENTITLEMENTS_REFRESH_MS: '200',
  GATEWAY_RATE_LIMIT_RPS: '10000',
  GATEWAY_JOURNAL_RETRY_MS: '100',
  GATEWAY_UPSTREAM_DOWN_MS: '1000',
};

export interface StartedGateway {
  gateway: Gateway;
  url: string;
  journalDir: string;
  logs: string[];
  close(): Promise<void>;
}

export interface GatewayEnv extends StartedGateway {
  t: TestEnvironment;
  upstreams: FakeStreamingUpstream[];
  /** the first upstream */
  upstream: FakeStreamingUpstream;
  /** another gateway on the same core (e.g. pointed at the database through a proxy); closed by `close()` */
  startGateway(settings?: { env?: Record<string, string>; config?: Partial<WerkbankConfig>; journalDir?: string }): Promise<StartedGateway>;
  tenant(): Promise<{ id: string }>;
  /** a new API key of the tenant, created by the operator admin */
  key(tenantId: string, scopes?: string[]): Promise<{ id: string; key: string }>;
  /** usage per meter of the tenant in the current month, from GET /v1/tenants/:id/usage */
  usage(tenantId: string): Promise<Record<string, string>>;
  journalSegments(dir?: string): Promise<string[]>;
}

export async function startGatewayEnv(options: { upstreams?: number; gateway?: Record<string, string> } = {}): Promise<GatewayEnv> {
  const upstreams = await Promise.all(Array.from({ length: options.upstreams ?? 1 }, (_, i) => new FakeStreamingUpstream(`node-${i + 1}`).start()));
  const pluginEnv = { WERKBANK_PLUGIN_METERED_OPTIONS: JSON.stringify({ upstreams: upstreams.map((u) => u.url) }) };
  const t = await createTestEnvironment({ plugins: [meteredPlugin], env: pluginEnv });
  const started: StartedGateway[] = [];

  const startGateway: GatewayEnv['startGateway'] = async (settings = {}) => {
    const journalDir = settings.journalDir ?? (await mkdtemp(join(tmpdir(), 'werkbank-gateway-journal-')));
    const logs: string[] = [];
    const echo = process.env.WERKBANK_TEST_LOGS === '1';
    const gateway = await createGateway({ ...t.config, ...settings.config }, loadGatewayConfig({ ...FAST_GATEWAY, ...options.gateway, ...settings.env, GATEWAY_JOURNAL_DIR: journalDir }), {
      plugins: [{ packageName: '@werkbank/plugin-metered', plugin: meteredPlugin as unknown as ServicePlugin }],
      pluginEnv: { ...process.env, ...pluginEnv },
      logDestination: { write: (line) => { logs.push(line); if (echo) process.stdout.write(line); } },
    });
    const url = await gateway.listen(0, '127.0.0.1');
    let closed: Promise<void> | undefined;
    const handle: StartedGateway = {
      gateway, url, journalDir, logs,
      close: () => (closed ??= gateway.close().finally(() => (settings.journalDir ? undefined : rm(journalDir, { recursive: true, force: true })))),
    };
    started.push(handle);
    return handle;
  };

  const first = await startGateway();
  const env: GatewayEnv = {
    ...first,
    t,
    upstreams,
    upstream: upstreams[0],
    startGateway,
    tenant: () => t.createTenant(),
    async key(tenantId, scopes = ['gateway:metered']) {
      const res = await t.http.post(`/v1/tenants/${tenantId}/api-keys`).set(t.auth(await t.adminToken())).send({ name: `key ${scopes.join(' ')}`, scopes });
      if (res.status !== 201) throw new Error(`creating an API key failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id, key: res.body.key };
    },
    async usage(tenantId) {
      const res = await t.http.get(`/v1/tenants/${tenantId}/usage`).set(t.auth(await t.adminToken()));
      if (res.status !== 200) throw new Error(`usage query failed: ${res.status} ${JSON.stringify(res.body)}`);
      return Object.fromEntries((res.body.items as Array<{ meter: string; value: string }>).map((i) => [i.meter, i.value]));
    },
    async journalSegments(dir = first.journalDir) {
      return (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));
    },
    async close() {
      await Promise.all(started.map((g) => g.close()));
      await t.close();
      await Promise.all(upstreams.map((u) => u.close()));
    },
  };
  return env;
}

/** Waits until the tenant's usage of `meter` is `value` (usage reaches metering in batches). */
export async function waitForUsage(env: GatewayEnv, tenantId: string, meter: string, value: string, timeoutMs = 10_000): Promise<void> {
  let last: Record<string, string> = {};
  await waitFor(`usage ${meter} = ${value}`, async () => {
    last = await env.usage(tenantId);
    return last[meter] === value;
  }, timeoutMs, 50).catch((error: Error) => {
    throw new Error(`${error.message}; last: ${JSON.stringify(last)}`);
  });
}

/** `Authorization: Bearer <key>` */
export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
