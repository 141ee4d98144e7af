// Hard quotas and per-key rate limits at the metering gateway, decided without a database round
// trip per request: quotas from cached entitlements plus the usage this gateway emitted since,
// rate limits from token buckets in memory or (shared by replicas) in Redis.
import { bearer, GatewayEnv, startGatewayEnv, StartedGateway, waitForUsage } from '../support/gateway-env';

describe('metering gateway: quotas and rate limits', () => {
  let env: GatewayEnv;

  beforeAll(async () => {
    env = await startGatewayEnv();
  });
  afterAll(() => env?.close());

  const tags = (url: string, key: string) => fetch(`${url}/metered/api/tags`, { headers: bearer(key) }).then(async (res) => ({ status: res.status, headers: res.headers, body: await res.json() }));
  const setQuota = async (tenantId: string, hardLimit: number | null) => {
    const res = await env.t.http.put(`/v1/tenants/${tenantId}/quotas/metered.requests`).set(env.t.auth(await env.t.adminToken())).send({ hardLimit });
    expect(res.status).toBeLessThan(300);
  };

  it('refuses with 429 quota.exceeded once the hard limit is used up, counting its own usage before metering has it', async () => {
    const tenant = await env.tenant();
    const { key } = await env.key(tenant.id);
    await setQuota(tenant.id, 3);
    for (let i = 0; i < 3; i++) expect((await tags(env.url, key)).status).toBe(200);
    // the cached entitlements say 0 used; the three requests just made are counted locally
    const refused = await tags(env.url, key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'quota.exceeded', meter: 'metered.requests', hardLimit: '3', used: '3', resetsAt: expect.any(String) });
    await waitForUsage(env, tenant.id, 'metered.requests', '3');
    expect((await tags(env.url, key)).status).toBe(429); // and from metering's own count after the refresh
    expect(env.upstream.requests.filter((r) => r.url === '/api/tags')).toHaveLength(3);
  });

  it('lets requests through again once the operator raises the limit', async () => {
    const tenant = await env.tenant();
    const { key } = await env.key(tenant.id);
    await setQuota(tenant.id, 1);
    expect((await tags(env.url, key)).status).toBe(200);
    expect((await tags(env.url, key)).status).toBe(429);
    await setQuota(tenant.id, 100);
    const since = Date.now();
    let status = 429;
    while (status === 429 && Date.now() - since < 3000) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await tags(env.url, key)).status;
    }
    expect(status).toBe(200);
  });

  it('quotas of one tenant do not touch another', async () => {
    const a = await env.tenant();
    const b = await env.tenant();
    await setQuota(a.id, 0);
    expect((await tags(env.url, (await env.key(a.id)).key)).status).toBe(429);
    expect((await tags(env.url, (await env.key(b.id)).key)).status).toBe(200);
  });

  describe('rate limit per key', () => {
    let limited: StartedGateway;
    beforeAll(async () => {
      limited = await env.startGateway({ env: { GATEWAY_RATE_LIMIT_RPS: '2', GATEWAY_RATE_LIMIT_BURST: '3' } });
    });

    it('allows the burst, then answers 429 rate_limit.exceeded with Retry-After, per key', async () => {
      const tenant = await env.tenant();
      const one = (await env.key(tenant.id)).key;
      const two = (await env.key(tenant.id)).key;
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await tags(limited.url, one)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await tags(limited.url, one);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.body).toMatchObject({ status: 429, code: 'rate_limit.exceeded', retryAfter: 1 });
      expect((await tags(limited.url, two)).status).toBe(200); // another key has its own bucket
      await new Promise((r) => setTimeout(r, 600)); // 2 per second: one token back
      expect((await tags(limited.url, one)).status).toBe(200);
    });

    it('shares one bucket per key across gateway replicas with GATEWAY_RATE_LIMIT_STORE=redis', async () => {
      const settings = { env: { GATEWAY_RATE_LIMIT_RPS: '1', GATEWAY_RATE_LIMIT_BURST: '3', GATEWAY_RATE_LIMIT_STORE: 'redis' } };
      const [a, b] = [await env.startGateway(settings), await env.startGateway(settings)];
      const { key } = await env.key((await env.tenant()).id);
      const statuses = [];
      for (const gateway of [a, b, a, b]) statuses.push((await tags(gateway.url, key)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    });
  });
});
