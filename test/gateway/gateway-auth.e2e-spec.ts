// The metering gateway's front door: which keys get through, in which forms, to which paths,
// and what reaches the upstream (never the tenant's key).
import { bearer, GatewayEnv, startGatewayEnv } from '../support/gateway-env';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('metering gateway: authentication and access', () => {
  let env: GatewayEnv;
  let tenant: { id: string };
  let key: { id: string; key: string };

  beforeAll(async () => {
    env = await startGatewayEnv();
    tenant = await env.tenant();
    key = await env.key(tenant.id);
  });
  afterAll(() => env?.close());
  beforeEach(() => env.upstream.reset());

  const tags = (headers: Record<string, string>) => fetch(`${env.url}/metered/api/tags`, { headers });

  it('accepts the key as Bearer token, as api-key header and as Basic auth password', async () => {
    for (const headers of [bearer(key.key), { 'api-key': key.key }, basic('me', key.key)]) {
      const res = await tags(headers);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ models: [{ name: 'llama3' }, { name: 'mistral' }] });
    }
    expect(env.upstream.requests).toHaveLength(3);
  });

  it('never forwards the tenant key, and tells the upstream who asked', async () => {
    await tags({ ...bearer(key.key), 'x-custom': 'kept' });
    await tags({ 'api-key': key.key, cookie: 'session=1' });
    for (const { headers } of env.upstream.requests) {
      expect(headers.authorization).toBeUndefined();
      expect(headers['api-key']).toBeUndefined();
      expect(headers.cookie).toBeUndefined();
      expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    }
    expect(env.upstream.requests[0].headers['x-custom']).toBe('kept');
    expect(JSON.stringify(env.upstream.requests)).not.toContain(key.key);
  });

  it('refuses a missing or unknown key with 401 problem+json and a challenge', async () => {
    for (const headers of [{}, bearer('wbk_notakey'), bearer(`${key.key.slice(0, -1)}x`), basic('me', 'password')]) {
      const res = await tags(headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('www-authenticate')).toContain('Basic realm="werkbank-gateway"');
      expect(await res.json()).toMatchObject({ status: 401, code: 'auth.invalid_api_key', requestId: expect.any(String) });
    }
    expect(env.upstream.requests).toHaveLength(0);
  });

  it('refuses a key without the scope gateway:<plugin> with 403 auth.forbidden; `*` passes', async () => {
    const other = await env.key(tenant.id, ['tenants:read', 'gateway:other']);
    const res = await tags(bearer(other.key));
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'auth.forbidden' });
    const all = await env.key(tenant.id, ['*']);
    expect((await tags(bearer(all.key))).status).toBe(200);
  });

  it('refuses operator-only routes to tenant keys, and serves them to the operator', async () => {
    const pull = (k: string) => fetch(`${env.url}/metered/api/pull`, { method: 'POST', headers: { ...bearer(k), 'content-type': 'application/json' }, body: '{"model":"llama3"}' });
    const res = await pull(key.key);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'gateway.operator_only' });
    expect(env.upstream.requests).toHaveLength(0);
    const operatorKey = await env.key(env.t.operatorTenantId, ['gateway:metered']);
    expect((await pull(operatorKey.key)).status).toBe(200);
  });

  it('answers 404 for unknown plugins and routes, 400 for paths an upstream could resolve elsewhere', async () => {
    expect(await (await fetch(`${env.url}/nope/api/tags`, { headers: bearer(key.key) })).json()).toMatchObject({ status: 404, code: 'plugin.not_found' });
    expect(await (await fetch(`${env.url}/metered/api/nothing`, { headers: bearer(key.key) })).json()).toMatchObject({ status: 404, code: 'route.not_found' });
    const traversal = await fetch(`${env.url}/metered/echo/%2e%2e%2fapi%2fpull`, { headers: bearer(key.key) });
    expect(await traversal.json()).toMatchObject({ status: 400, code: 'request.invalid_path' });
    expect(env.upstream.requests).toHaveLength(0);
  });

  it('forwards query, method and body of a pass-through route unchanged', async () => {
    const res = await fetch(`${env.url}/metered/echo/hello?x=1&y=two`, { method: 'PUT', headers: { ...bearer(key.key), 'content-type': 'text/plain' }, body: 'raw body' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ method: 'PUT', url: '/echo/hello?x=1&y=two', body: 'raw body' });
  });

  it('refuses a revoked key within 5 seconds', async () => {
    const doomed = await env.key(tenant.id);
    expect((await tags(bearer(doomed.key))).status).toBe(200); // cached as valid now
    const revoked = await env.t.http.delete(`/v1/api-keys/${doomed.id}`).set(env.t.auth(await env.t.adminToken()));
    expect(revoked.status).toBe(204);
    const since = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - since < 6000) {
      status = (await tags(bearer(doomed.key))).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
    expect(Date.now() - since).toBeLessThan(5000);
  });

  it('refuses a key from its expiresAt on (the injected clock), although its check is still cached', async () => {
    const hour = 3_600_000;
    const expiresAt = new Date(env.t.clock.now().getTime() + hour);
    const res = await env.t.http.post(`/v1/tenants/${tenant.id}/api-keys`).set(env.t.auth(await env.t.adminToken()))
      .send({ name: 'short-lived', scopes: ['gateway:metered'], expiresAt: expiresAt.toISOString() });
    expect(res.status).toBe(201);
    expect((await tags(bearer(res.body.key))).status).toBe(200); // cached as valid now (for GATEWAY_KEY_CACHE_MS)
    env.t.clock.travel(hour - 1000);
    try {
      expect((await tags(bearer(res.body.key))).status).toBe(200); // a second before expiresAt
      env.t.clock.travel(1000);
      const after = await tags(bearer(res.body.key));
      expect(after.status).toBe(401);
      expect(await after.json()).toMatchObject({ code: 'auth.invalid_api_key' });
    } finally {
      env.t.clock.travel(-hour);
    }
  });

  it('refuses keys of a suspended tenant with 403 tenant.suspended', async () => {
    const other = await env.tenant();
    const otherKey = await env.key(other.id);
    expect((await tags(bearer(otherKey.key))).status).toBe(200);
    const suspended = await env.t.http.post(`/v1/tenants/${other.id}/suspend`).set(env.t.auth(await env.t.adminToken())).send({ reason: 'unpaid' });
    expect(suspended.status).toBeLessThan(300);
    let res = await tags(bearer(otherKey.key));
    const since = Date.now();
    while (res.status === 200 && Date.now() - since < 6000) {
      await new Promise((r) => setTimeout(r, 100));
      res = await tags(bearer(otherKey.key));
    }
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'tenant.suspended' });
  });
});
