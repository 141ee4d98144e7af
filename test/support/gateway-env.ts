// The real core (API + worker, on a database of its own) and the metering gateway booted
// in-process on a free port, with any plugins: what the test/gateway suites and the plugins'
// end-to-end suites share. Without `plugins` it loads the metering fixture plugin in front of
// `upstreams` fake streaming upstreams (default 1).
//
//   const env = await startGatewayEnv();                   // in beforeAll
//   const { key } = await env.key(tenant.id, ['gateway:metered']);
//   await fetch(`${env.url}/metered/api/tags`, { headers: { authorization: `Bearer ${key}` } });
//   await env.close();                                      // in afterAll
//
// ANNOUNCEMENT for plugin engineers (SDK 1.2 is implemented in the core: ctx.gatewayKeys issues
// real wbk_ keys bound to the instance; the gateway passes the key's GatewayTenant to every hook,
// applies upstreamHeaders, rateLimit, authorize, rewritePath, rewriteRequest, rewriteResponse):
//
//   import plugin from '../src';                             // your plugin (loaded from src/ under Jest)
//   const env = await startGatewayEnv({
//     plugins: [plugin],
//     pluginEnv: { WERKBANK_PLUGIN_OLLAMA_OPTIONS: JSON.stringify({ ... fake.url ... }) },
//     upstreams: 0,                                          // no metering fixture upstreams (0 is the default with `plugins`)
//     env: { ... },                                          // optional: more core variables (METERING_*, PROVISIONING_* ...)
//     gateway: { GATEWAY_RATE_LIMIT_RPS: '0' },              // optional: gateway variables on top of FAST_GATEWAY
//   });
//   const tenant = await env.tenant();
//   const { instance, credentials } = await env.provision(tenant.id, 'ollama');   // POST /v1/tenants/:id/services,
//                                          // waits until active, reveals the credentials once (e.g. { apiKey: 'wbk_…' })
//   await fetch(`${env.url}/ollama/api/tags`, { headers: bearer(credentials.apiKey) });
//   await env.usage(tenant.id);                               // { 'ollama.requests': '1', ... } this month, per meter
//   await env.usage(tenant.id, { groupBy: 'model' });         // { 'ollama.requests': { llama3: '1' }, ... } per dimension value
//   await waitForUsage(env, tenant.id, 'ollama.requests', '1');            // usage reaches metering in batches
//   await env.setService(instance.id, 'suspend' | 'resume' | 'deprovision'); // and env.t.waitForServiceState(...)
//   await env.setEntitlements(tenant.id, instance.id, { 'ollama.requests_per_minute': 5 });  // operator PATCH
//   env.logs / env.t.logs: the gateway's / the core's log lines (assert no secret is in them)
//   await env.close();
//
// `env.t` is the testkit's TestEnvironment (http, adminToken(), auth(), clock, ...). The gateway
// refreshes keys within ~4 s (GATEWAY_KEY_CACHE_MS) and quotas every 200 ms here.
import { loadGatewayConfig } from '@werkbank/gateway';
import { CLOCK, type WerkbankConfig } from '@werkbank/kernel';
import { createGateway, type Gateway } from '@werkbank/platform';
import { createTestEnvironment, type TestEnvironment } from '@werkbank/plugin-testkit';
import type { ServicePlugin, ServicePluginManifest } from '@werkbank/plugin-sdk';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginCandidate } from '@werkbank/plugin-host';
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
  /**
   * Requests the plugin's service for the tenant through the real API (as the operator admin),
   * waits until it is `active` and reveals its credentials (once).
   */
  provision(tenantId: string, pluginId: string, request?: { options?: Record<string, unknown>; mode?: string }): Promise<ProvisionedService>;
  /** suspend, resume or deprovision an instance (as the operator admin); returns at once (202) */
  setService(instanceId: string, change: 'suspend' | 'resume' | 'deprovision'): Promise<void>;
  /** PATCH /v1/tenants/:id/services/:instanceId { entitlements } as the operator admin; returns the instance */
  setEntitlements(tenantId: string, instanceId: string, entitlements: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** usage per meter of the tenant in the current month, from GET /v1/tenants/:id/usage */
  usage(tenantId: string): Promise<Record<string, string>>;
  /** with groupBy (a dimension, `day` or `hour`): per meter, per group value (`null` as 'null') */
  usage(tenantId: string, query: { groupBy: string; meter?: string }): Promise<Record<string, Record<string, string>>>;
  journalSegments(dir?: string): Promise<string[]>;
}

export interface ProvisionedService {
  /** the instance as GET /v1/services/:id shows it once active */
  instance: { id: string; state: string; endpoints: Record<string, string> } & Record<string, unknown>;
  /** what the plugin returned as credentials (e.g. `{ apiKey: 'wbk_…' }`), revealed once */
  credentials: Record<string, string>;
}

export interface GatewayEnvOptions {
  /** the plugins the core and the gateway load; default the metering fixture plugin */
  plugins?: Array<{ manifest: ServicePluginManifest } | PluginCandidate>;
  /** plugin variables (WERKBANK_PLUGIN_<ID>_OPTIONS, ...) for the core and the gateway */
  pluginEnv?: Record<string, string>;
  /** fake streaming upstreams to start (default 1 without `plugins`, else 0); the metering fixture plugin is pointed at them */
  upstreams?: number;
  /** gateway variables on top of FAST_GATEWAY */
  gateway?: Record<string, string>;
  /** more core variables (METERING_*, ...) */
  env?: Record<string, string>;
}

function asCandidate(p: NonNullable<GatewayEnvOptions['plugins']>[number]): PluginCandidate {
  return 'packageName' in p ? p : { packageName: `@werkbank/plugin-${p.manifest.id}`, plugin: p as unknown as ServicePlugin };
}

export async function startGatewayEnv(options: GatewayEnvOptions = {}): Promise<GatewayEnv> {
  const candidates = (options.plugins ?? [meteredPlugin]).map(asCandidate);
  const upstreams = await Promise.all(Array.from({ length: options.upstreams ?? (options.plugins ? 0 : 1) }, (_, i) => new FakeStreamingUpstream(`node-${i + 1}`).start()));
  const pluginEnv: Record<string, string> = {
    ...(upstreams.length && candidates.some((c) => c.plugin.manifest.id === 'metered') ? { WERKBANK_PLUGIN_METERED_OPTIONS: JSON.stringify({ upstreams: upstreams.map((u) => u.url) }) } : {}),
    ...options.pluginEnv,
  };
  const t = await createTestEnvironment({ plugins: candidates, env: { ...options.env, ...pluginEnv } });
  const started: StartedGateway[] = [];

  const startGateway: GatewayEnv['startGateway'] = async (settings = {}) => {
    const journalDir = settings.journalDir ?? (await mkdtemp(join(tmpdir(), 'werkbank-gateway-journal-')));
    const logs: string[] = [];
    const echo = process.env.WERKBANK_TEST_LOGS === '1';
    const gateway = await createGateway({ ...t.config, ...settings.config }, loadGatewayConfig({ ...FAST_GATEWAY, ...options.gateway, ...settings.env, GATEWAY_JOURNAL_DIR: journalDir }), {
      plugins: candidates,
      pluginEnv: { ...process.env, ...pluginEnv },
      logDestination: { write: (line) => { logs.push(line); if (echo) process.stdout.write(line); } },
      // the core's clock: keys expire for the gateway when the test travels past their expiresAt
      overrides: [{ provide: CLOCK, useValue: t.clock }],
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
    async provision(tenantId, pluginId, request = {}) {
      const token = await t.adminToken();
      const res = await t.http.post(`/v1/tenants/${tenantId}/services`).set(t.auth(token)).send({ plugin: pluginId, ...request });
      if (res.status !== 202) throw new Error(`requesting ${pluginId} failed: ${res.status} ${JSON.stringify(res.body)}`);
      const instance = (await t.waitForServiceState(res.body.id, 'active')) as ProvisionedService['instance'];
      const revealed = await t.http.post(`/v1/services/${instance.id}/credentials`).set(t.auth(token));
      if (revealed.status === 409) return { instance, credentials: {} };
      if (revealed.status !== 200) throw new Error(`revealing the credentials of ${pluginId} failed: ${revealed.status} ${JSON.stringify(revealed.body)}`);
      return { instance, credentials: revealed.body.credentials };
    },
    async setService(instanceId, change) {
      const token = await t.adminToken();
      const res = change === 'deprovision'
        ? await t.http.delete(`/v1/services/${instanceId}`).set(t.auth(token))
        : await t.http.post(`/v1/services/${instanceId}/${change}`).set(t.auth(token));
      if (res.status !== 202) throw new Error(`${change} of ${instanceId} failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async setEntitlements(tenantId, instanceId, entitlements) {
      const res = await t.http.patch(`/v1/tenants/${tenantId}/services/${instanceId}`).set(t.auth(await t.adminToken())).send({ entitlements });
      if (res.status !== 200) throw new Error(`changing the entitlements of ${instanceId} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    usage: (async (tenantId: string, query?: { groupBy: string; meter?: string }) => {
      const res = await t.http.get(`/v1/tenants/${tenantId}/usage`).query(query ?? {}).set(t.auth(await t.adminToken()));
      if (res.status !== 200) throw new Error(`usage query failed: ${res.status} ${JSON.stringify(res.body)}`);
      const items = res.body.items as Array<{ meter: string; group: string | null; value: string }>;
      if (!query) return Object.fromEntries(items.map((i) => [i.meter, i.value]));
      const grouped: Record<string, Record<string, string>> = {};
      for (const i of items) (grouped[i.meter] ??= {})[String(i.group)] = i.value;
      return grouped;
    }) as GatewayEnv['usage'],
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
