// SDK 1.2 in the gateway: the instance's gateway key (ctx.gatewayKeys) issued through the real
// provisioning engine, the GatewayTenant every hook gets, and each hook's effect on what the
// upstream and the client see: authorize, rewritePath, rewriteRequest, rewriteResponse,
// upstreamHeaders, rateLimit; suspended and deprovisioned instances.
import { FakeStreamingUpstream } from '../fixtures/gateway/fake-streaming-upstream';
import { meteredPlugin } from '../fixtures/gateway/metered.plugin';
import { bearer, GatewayEnv, startGatewayEnv, waitForUsage } from '../support/gateway-env';
import { waitFor } from '../support/wait-for';

const UPSTREAM_KEY = 'operator-upstream-secret-1234';

describe('metering gateway: per-tenant hooks and instance keys (SDK 1.2)', () => {
  let env: GatewayEnv;
  let tenant: { id: string };
  let service: Awaited<ReturnType<GatewayEnv['provision']>>;
  let slug: string;
  let upstream: FakeStreamingUpstream;

  beforeAll(async () => {
    // the way a plugin's suite boots it: its own fake, its options, no fixture upstreams
    upstream = await new FakeStreamingUpstream().start();
    env = await startGatewayEnv({
      plugins: [meteredPlugin],
      pluginEnv: { WERKBANK_PLUGIN_METERED_OPTIONS: JSON.stringify({ upstreams: [upstream.url], upstreamKey: UPSTREAM_KEY }) },
      upstreams: 0,
      gateway: { GATEWAY_KEY_CACHE_MS: '200' },
    });
    tenant = await env.tenant();
    service = await env.provision(tenant.id, 'metered');
    slug = `t-${tenant.id.replace(/-/g, '').slice(-12)}`;
  });
  afterAll(async () => {
    await env?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  it('provisioning issues a wbk_ key with scope gateway:metered, bound to the instance and revealed once', async () => {
    expect(service.credentials.apiKey).toMatch(/^wbk_[0-9A-Za-z]{39}$/);
    const keys = await env.t.http.get(`/v1/tenants/${tenant.id}/api-keys`).set(env.t.auth(await env.t.adminToken()));
    const live = (keys.body.items as Array<{ name: string; scopes: string[]; prefix: string; revokedAt: string | null }>).filter((k) => !k.revokedAt);
    expect(live).toEqual([expect.objectContaining({ name: expect.stringContaining(service.instance.id), scopes: ['gateway:metered'] })]);
    expect(service.credentials.apiKey.startsWith(live[0].prefix)).toBe(true);
    const res = await fetch(`${env.url}/metered/api/tags`, { headers: bearer(service.credentials.apiKey) });
    expect(res.status).toBe(200);
    expect(JSON.stringify(env.t.logs)).not.toContain(service.credentials.apiKey);
  });

  it('passes the key\'s tenant to the hooks: rewritePath and rewriteRequest put the request in the tenant\'s namespace', async () => {
    const res = await fetch(`${env.url}/metered/spaces/notes?x=1`, { method: 'POST', headers: { ...bearer(service.credentials.apiKey), 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });
    expect(res.status).toBe(200);
    const echoed = (await res.json()) as { url: string; body: string };
    expect(echoed.url).toBe(`/echo/${slug}--notes?x=1`);
    expect(JSON.parse(echoed.body)).toEqual({ text: 'hi', owner: slug, instance: service.instance.id });
    // extractUsage saw the same tenant in exchange.tenant
    await waitForUsage(env, tenant.id, 'metered.requests', '2');
    // the other request (GET /api/tags, first test) carries no instance property
    expect(await env.usage(tenant.id, { groupBy: 'instance', meter: 'metered.requests' })).toEqual({ 'metered.requests': { [service.instance.id]: '1', null: '1' } });
  });

  it('re-checks the rewritten path: a hook that would climb out of the namespace is refused with 400 request.invalid_path', async () => {
    const res = await fetch(`${env.url}/metered/spaces/escape`, { headers: bearer(service.credentials.apiKey) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'request.invalid_path' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('rewriteResponse shows the tenant only its own spaces, under its own names, with a correct content-length', async () => {
    const other = await env.tenant();
    const otherSlug = `t-${other.id.replace(/-/g, '').slice(-12)}`;
    upstream.spaces = [`${slug}--notes`, `${otherSlug}--secret`, `${slug}--docs`];
    const res = await fetch(`${env.url}/metered/spaces`, { headers: { ...bearer(service.credentials.apiKey), 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ spaces: ['notes', 'docs'], time: 0.001 });
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(text).not.toContain(otherSlug);
    // the gateway asked the upstream for an answer it can read
    expect(upstream.requests[0].headers['accept-encoding']).toBe('identity');
  });

  it('authorize refuses with the plugin\'s problem+json before anything is forwarded', async () => {
    const { instance } = service;
    await env.setEntitlements(tenant.id, instance.id, { 'metered.models': ['llama3'] });
    await waitFor('entitlements reach the gateway', async () => {
      const res = await fetch(`${env.url}/metered/api/chat`, { method: 'POST', headers: { ...bearer(service.credentials.apiKey), 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mistral' }) });
      if (res.status !== 403) return false;
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 403, code: 'metered.model_not_allowed', detail: expect.stringContaining('mistral') });
      return true;
    }, 5000, 50);
    upstream.reset();
    const chat = (model: string) => fetch(`${env.url}/metered/api/chat`, { method: 'POST', headers: { ...bearer(service.credentials.apiKey), 'content-type': 'application/json' }, body: JSON.stringify({ model, stream: false }) });
    const refused = await chat('mistral');
    expect(refused.status).toBe(403);
    expect(upstream.requests).toHaveLength(0);
    const ok = await chat('llama3');
    expect(ok.status).toBe(200);
    await ok.text();
    expect(upstream.requests).toHaveLength(1);
  });

  it('adds the plugin\'s upstreamHeaders upstream after the client\'s credentials are removed; never to the client or a log', async () => {
    const res = await fetch(`${env.url}/metered/api/tags`, { headers: { ...bearer(service.credentials.apiKey), 'x-upstream-key': 'client-forged' } });
    expect(res.status).toBe(200);
    const text = await res.text() + JSON.stringify([...res.headers]);
    expect(upstream.requests[0].headers['x-upstream-key']).toBe(UPSTREAM_KEY);
    expect(upstream.requests[0].headers.authorization).toBeUndefined();
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(env.logs.join('')).not.toContain(UPSTREAM_KEY);
    expect(env.t.logs.join('')).not.toContain(UPSTREAM_KEY);
  });

  it('refuses entitlement changes that do not fit the plugin\'s keys with 400 problem+json', async () => {
    const token = await env.t.adminToken();
    const res = await env.t.http.patch(`/v1/tenants/${tenant.id}/services/${service.instance.id}`).set(env.t.auth(token))
      .send({ entitlements: { 'metered.requests_per_minute': 'many', 'metered.colour': 'red' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'request.validation_failed' });
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['entitlements.metered.colour', 'entitlements.metered.requests_per_minute']);
  });

  it('limits the key to the requestsPerMinute its entitlements give (429 rate_limit.exceeded with Retry-After)', async () => {
    const other = await env.tenant();
    const limited = await env.provision(other.id, 'metered');
    await env.setEntitlements(other.id, limited.instance.id, { 'metered.requests_per_minute': 3 });
    // the new entitlement is read with the key (within GATEWAY_KEY_CACHE_MS x 2); then a fresh bucket of 3
    await new Promise((r) => setTimeout(r, 600));
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(`${env.url}/metered/echo/x`, { headers: bearer(limited.credentials.apiKey) });
      statuses.push(last.status);
      if (last.status === 429) break;
      await last.text();
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await last!.json()).toMatchObject({ code: 'rate_limit.exceeded' });
    // another tenant's key is not limited by it
    expect((await fetch(`${env.url}/metered/echo/x`, { headers: bearer(service.credentials.apiKey) })).status).toBe(200);
  });

  it('keeps a hard quota from the quota entitlement: 429 quota.exceeded once the monthly requests are used', async () => {
    const other = await env.tenant();
    const quoted = await env.provision(other.id, 'metered');
    await env.setEntitlements(other.id, quoted.instance.id, { 'metered.monthly_requests': 2 });
    const quotas = await env.t.http.get(`/v1/tenants/${other.id}/quotas`).set(env.t.auth(await env.t.adminToken()));
    expect(quotas.body.items ?? quotas.body).toEqual([expect.objectContaining({ meter: 'metered.requests', hardLimit: '2' })]);
    for (let i = 0; i < 2; i++) expect((await fetch(`${env.url}/metered/api/tags`, { headers: bearer(quoted.credentials.apiKey) })).status).toBe(200);
    await waitForUsage(env, other.id, 'metered.requests', '2');
    await waitFor('quota refusal', async () => (await fetch(`${env.url}/metered/api/tags`, { headers: bearer(quoted.credentials.apiKey) })).status === 429, 5000, 100);
    const res = await fetch(`${env.url}/metered/api/tags`, { headers: bearer(quoted.credentials.apiKey) });
    expect(await res.json()).toMatchObject({ code: 'quota.exceeded', meter: 'metered.requests', hardLimit: '2' });
    // removing the entitlement lifts the limit: the quota goes, and the gateway lets requests through again
    await env.setEntitlements(other.id, quoted.instance.id, { 'metered.monthly_requests': null });
    const after = await env.t.http.get(`/v1/tenants/${other.id}/quotas`).set(env.t.auth(await env.t.adminToken()));
    expect(after.body.items ?? after.body).toEqual([]);
    await waitFor('quota lifted', async () => (await fetch(`${env.url}/metered/api/tags`, { headers: bearer(quoted.credentials.apiKey) })).status === 200, 5000, 100);
  });

  it('refuses the key of a suspended instance with 403 service.suspended, takes it again after resume, and 401 once deprovisioned', async () => {
    const other = await env.tenant();
    const svc = await env.provision(other.id, 'metered');
    const tags = () => fetch(`${env.url}/metered/api/tags`, { headers: bearer(svc.credentials.apiKey) });
    expect((await tags()).status).toBe(200);
    await env.setService(svc.instance.id, 'suspend');
    await env.t.waitForServiceState(svc.instance.id, 'suspended');
    await waitFor('suspension reaches the gateway', async () => (await tags()).status === 403, 5000, 50);
    expect(await (await tags()).json()).toMatchObject({ code: 'service.suspended' });
    await env.setService(svc.instance.id, 'resume');
    await env.t.waitForServiceState(svc.instance.id, 'active');
    await waitFor('resumption reaches the gateway', async () => (await tags()).status === 200, 5000, 50);
    await env.setService(svc.instance.id, 'deprovision');
    await env.t.waitForServiceState(svc.instance.id, 'deprovisioned');
    await waitFor('removal reaches the gateway', async () => (await tags()).status === 401, 5000, 50);
    expect(await (await tags()).json()).toMatchObject({ code: 'auth.invalid_api_key' });
    const keys = await env.t.http.get(`/v1/tenants/${other.id}/api-keys`).set(env.t.auth(await env.t.adminToken()));
    expect((keys.body.items as Array<{ revokedAt: string | null }>).every((k) => k.revokedAt !== null)).toBe(true);
  });
});
