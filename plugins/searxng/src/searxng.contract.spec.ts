import { PermanentError } from '@werkbank/plugin-sdk';
import { createServer } from 'node:net';
import { createPluginContext, runPluginContractSuite } from '@werkbank/plugin-testkit';
import { FakeSearxng } from './__tests__/fake-searxng';
import plugin from './index';
import { DEFAULT_MONTHLY_QUERY_LIMIT, MONTHLY_QUERY_LIMIT, QUERIES_METER, type SearxngOptions } from './manifest';

const fake = new FakeSearxng();
beforeAll(() => fake.start());
// a test fails when the plugin called an endpoint the fake does not serve
afterEach(() => fake.verify());
afterAll(() => fake.close());

// The shared contract every Werkbank plugin keeps. An instance is a gateway key on the shared
// SearXNG: provisioning and the lifecycle send nothing to SearXNG (it knows no tenants), so the
// suite's `failWith` checks, which expect every lifecycle call to reach the service, do not
// apply; the health check is what talks to SearXNG, tested below.
runPluginContractSuite<SearxngOptions>({
  plugin,
  options: () => ({ url: fake.url, gatewayUrl: 'https://gateway.example.com' }),
  resetUpstream: () => fake.reset(),
});

const tenant = { id: 'tenant-1', name: 'Tenant One', slug: 't-000000000001' };
const instanceId = '0190aaaa-0000-7000-8000-0000000000a1';
const ref = { instanceId, tenant, mode: 'shared' as const, externalId: `searxng-${instanceId}`, metadata: {} };
const context = (options: Partial<SearxngOptions> = {}) => createPluginContext<SearxngOptions>('searxng', { url: fake.url, ...options });
const provision = (ctx: ReturnType<typeof context>, entitlements: Record<string, unknown> = {}, attempt = 1) =>
  plugin.provisioner!.provision(ctx, { requestKey: `${instanceId}:provision:1`, attempt, instanceId, tenant, mode: 'shared', options: {}, entitlements: entitlements as never });

beforeEach(() => fake.reset());

describe('searxng manifest', () => {
  it('meters searxng.queries and ties searxng.monthlyQueryLimit (Basic: 10,000) to its monthly hard quota', () => {
    expect(plugin.manifest.meters).toEqual([expect.objectContaining({ key: QUERIES_METER, unit: 'query', aggregation: 'sum' })]);
    expect(plugin.manifest.entitlementKeys).toEqual([
      expect.objectContaining({ key: MONTHLY_QUERY_LIMIT, type: 'integer', default: DEFAULT_MONTHLY_QUERY_LIMIT, quota: { meter: QUERIES_METER, limit: 'hard' } }),
    ]);
    expect(DEFAULT_MONTHLY_QUERY_LIMIT).toBe(10000);
  });
});

describe('searxng provisioner', () => {
  it("issues the instance its gateway key as credentials and shows the gateway's search endpoint, without calling SearXNG", async () => {
    const ctx = context({ gatewayUrl: 'https://gateway.example.com/' });
    const result = await provision(ctx);
    const key = ctx.gatewayKeys.current(instanceId)!;
    expect(result).toEqual({
      externalId: `searxng-${instanceId}`,
      endpoints: { search: 'https://gateway.example.com/searxng/search' },
      credentials: { apiKey: key.key },
      metadata: { keyId: key.keyId },
    });
    expect(key).toMatchObject({ tenantId: tenant.id, scope: 'gateway:searxng' });
    expect(fake.requests).toEqual([]);
    expect(ctx.logger.text()).not.toContain(key.key);
  });

  it('shows no endpoint when the operator configured no gatewayUrl', async () => {
    expect((await provision(context())).endpoints).toEqual({});
  });

  it('keeps one valid key: a retried provision and a rotation each revoke the earlier key', async () => {
    const ctx = context();
    const first = await provision(ctx);
    const retried = await provision(ctx, {}, 2);
    const rotated = await plugin.provisioner!.rotateCredentials!(ctx, ref, { requestKey: `${instanceId}:rotate:1`, attempt: 1 });
    expect(rotated).toEqual({ apiKey: ctx.gatewayKeys.current(instanceId)!.key });
    expect(new Set([first.credentials!.apiKey, retried.credentials!.apiKey, rotated.apiKey]).size).toBe(3);
    expect(ctx.gatewayKeys.revoked.map((k) => k.key)).toEqual([first.credentials!.apiKey, retried.credentials!.apiKey]);
  });

  it('revokes the key on deprovisioning', async () => {
    const ctx = context();
    const { credentials } = await provision(ctx);
    await plugin.provisioner!.deprovision(ctx, ref, { requestKey: `${instanceId}:deprovision:1`, attempt: 1 });
    expect(ctx.gatewayKeys.current(instanceId)).toBeUndefined();
    expect(ctx.gatewayKeys.revoked.map((k) => k.key)).toEqual([credentials!.apiKey]);
  });

  it.each([[-1], [2.5], ['1000'], [null]])('refuses a monthly query limit of %p with a PermanentError naming the key', async (limit) => {
    await expect(provision(context(), { [MONTHLY_QUERY_LIMIT]: limit })).rejects.toThrow(PermanentError);
    await expect(plugin.provisioner!.applyEntitlements(context(), ref, { [MONTHLY_QUERY_LIMIT]: limit } as never, { requestKey: 'k', attempt: 1 }))
      .rejects.toThrow(`${MONTHLY_QUERY_LIMIT} must be a whole number of searches >= 0`);
  });

  it('accepts a limit of 0 (no searches) and the default', async () => {
    await expect(plugin.provisioner!.applyEntitlements(context(), ref, { [MONTHLY_QUERY_LIMIT]: 0 }, { requestKey: 'k', attempt: 1 })).resolves.toBeUndefined();
    await expect(plugin.provisioner!.applyEntitlements(context(), ref, { [MONTHLY_QUERY_LIMIT]: DEFAULT_MONTHLY_QUERY_LIMIT }, { requestKey: 'k2', attempt: 1 })).resolves.toBeUndefined();
  });
});

describe('searxng health', () => {
  it("is healthy when SearXNG answers GET /healthz, for the service and for an instance", async () => {
    const service = await plugin.health!.check(context());
    expect(service).toMatchObject({ status: 'healthy', details: { [fake.url]: 'healthy' } });
    expect(await plugin.health!.check(context(), ref)).toMatchObject({ status: 'healthy', message: 'the shared SearXNG of this instance answers /healthz' });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /healthz', 'GET /healthz']);
  });

  it("is unhealthy with SearXNG's status when /healthz fails", async () => {
    fake.failWith(503);
    expect(await plugin.health!.check(context())).toMatchObject({
      status: 'unhealthy',
      message: expect.stringContaining('answered 503 to GET /healthz: Service Unavailable'),
      details: { [fake.url]: 'unhealthy' },
    });
  });

  it('is unhealthy, not a throw, when SearXNG cannot be reached', async () => {
    const port = await closedPort();
    const status = await plugin.health!.check(context({ url: `http://127.0.0.1:${port}` }));
    expect(status).toMatchObject({ status: 'unhealthy', message: `SearXNG at http://127.0.0.1:${port} is unreachable (GET /healthz): ECONNREFUSED` });
  });

  it('never shows user info of the URL in its answer', async () => {
    const status = await plugin.health!.check(context({ url: `http://user:secret-pass@127.0.0.1:${await closedPort()}` }));
    expect(JSON.stringify(status)).not.toContain('secret-pass');
  });
});

/** a port nothing listens on */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
