import { PermanentError, RetryableError, type InstanceRef } from '@werkbank/plugin-sdk';
import { createPluginContext, FakeClock, runPluginContractSuite, type PluginContextSettings, type TestPluginContext } from '@werkbank/plugin-testkit';
import { FakeQdrant } from './__tests__/fake-qdrant';
import plugin from './index';
import type { QdrantOptions } from './manifest';
import { RESERVED_METADATA_KEY } from './qdrant.gateway';
import { namespaceOf } from './qdrant.namespace';

type QdrantTestContext = TestPluginContext<QdrantOptions>;
const qdrantContext = (options: QdrantOptions, settings: PluginContextSettings = {}): QdrantTestContext => createPluginContext('qdrant', options, settings);

const fake = new FakeQdrant();
beforeAll(() => fake.start());
// a test fails when the plugin called an endpoint the fake does not serve
afterEach(() => fake.verify());
afterAll(() => fake.close());

// The shared contract every Werkbank plugin keeps. Suspension and resumption are the core's (it
// refuses the instance's gateway key) and send nothing to Qdrant, so the suite's `failWith`
// check, which expects every lifecycle call to reach the service, is replaced by the error tests
// below. The grace period is 0 here: the lifecycle round trip deletes at once (the grace has its
// own tests below).
runPluginContractSuite<QdrantOptions>({
  plugin,
  options: () => ({ url: fake.url, apiKey: fake.apiKey, deprovisionGraceSeconds: 0 }),
  resetUpstream: () => fake.reset(),
  usageSetup: (ref) => {
    seed(namespaceOf(ref.tenant.slug, ref.instanceId), 'docs', 3);
  },
});

/** A collection with `points` points, created at the fake directly (as the gateway would). */
function seed(namespace: string, name: string, points: number): string {
  const full = `${namespace}${name}`;
  fake.collections.set(full, { size: 2, distance: 'Dot', vectors: { size: 2, distance: 'Dot' }, metadata: {}, points: new Map(), operations: 0 });
  for (let i = 1; i <= points; i++) fake.collections.get(full)!.points.set(String(i), { id: i, vector: [i, 0], payload: {}, version: 0 });
  return full;
}

const HOUR = 3_600_000;
const tenant = { id: 'tenant-1', name: 'Tenant One', slug: 't-000000000001' };
const instanceId = '0190aaaa-0000-7000-8000-0000000000a1';
const ref: InstanceRef = { instanceId, tenant, mode: 'shared', externalId: namespaceOf(tenant.slug, instanceId), metadata: {} };
const ns = ref.externalId;
const otherNs = namespaceOf('t-000000000002', '0190bbbb-0000-7000-8000-0000000000b2');
const meta = (attempt = 1, generation = 1) => ({ requestKey: `${instanceId}:deprovision:${generation}`, attempt });

describe('qdrant provisioner', () => {
  let clock: FakeClock;
  const context = (over: Partial<QdrantOptions> = {}): QdrantTestContext =>
    qdrantContext({ url: fake.url, apiKey: fake.apiKey, deprovisionGraceSeconds: 24 * 3600, ...over }, { clock });

  beforeEach(() => {
    fake.reset();
    clock = new FakeClock('2026-03-01T12:00:00.000Z');
  });

  it('issues the instance its gateway key as credentials, and names its namespace', async () => {
    const ctx = context({ publicUrl: 'https://gw.example.com/qdrant' });
    const result = await plugin.provisioner!.provision(ctx, { requestKey: `${instanceId}:provision:1`, attempt: 1, instanceId, tenant, mode: 'shared', options: {}, entitlements: {} });
    expect(result).toEqual({
      externalId: ns,
      endpoints: { api: 'https://gw.example.com/qdrant' },
      credentials: { apiKey: ctx.gatewayKeys.current(instanceId)!.key },
      metadata: { namespace: ns, keyId: ctx.gatewayKeys.current(instanceId)!.keyId },
    });
    // checked with the operator's key before handing anything out
    expect(fake.requests.map((r) => [r.method, r.path, r.headers['api-key']])).toEqual([['GET', '/collections', fake.apiKey]]);
    expect(ctx.logger.text()).not.toContain(result.credentials!.apiKey);
    expect(ctx.logger.text()).not.toContain(fake.apiKey);
  });

  it('re-issues the key on rotation: one valid key, the new one', async () => {
    const ctx = context();
    await plugin.provisioner!.provision(ctx, { requestKey: `${instanceId}:provision:1`, attempt: 1, instanceId, tenant, mode: 'shared', options: {}, entitlements: {} });
    const rotated = await plugin.provisioner!.rotateCredentials!(ctx, ref, { requestKey: `${instanceId}:rotate:1`, attempt: 1 });
    expect(rotated).toEqual({ apiKey: ctx.gatewayKeys.current(instanceId)!.key });
    expect(ctx.gatewayKeys.issued).toHaveLength(2);
    expect(rotated.apiKey).not.toBe(ctx.gatewayKeys.issued[0].key);
  });

  it("turns Qdrant's 401 into a PermanentError in Qdrant's words, and a 503 into a RetryableError", async () => {
    const request = { requestKey: `${instanceId}:provision:1`, attempt: 1, instanceId, tenant, mode: 'shared' as const, options: {}, entitlements: {} };
    const wrongKey = qdrantContext({ url: fake.url, apiKey: 'not-the-key' });
    await expect(plugin.provisioner!.provision(wrongKey, request)).rejects.toThrow(PermanentError);
    await expect(plugin.provisioner!.provision(wrongKey, request)).rejects.toThrow(/answered 401 to GET \/collections: Must provide an API key/);
    expect(wrongKey.gatewayKeys.issued).toEqual([]);
    fake.failWith(503);
    await expect(plugin.provisioner!.provision(context(), request)).rejects.toThrow(RetryableError);
    await expect(plugin.provisioner!.deprovision(context(), ref, meta())).rejects.toThrow(RetryableError);
  });

  describe('deprovisioning after the grace period', () => {
    it('revokes the key at once, keeps the collections for the grace period, then deletes exactly the namespace', async () => {
      const docs = seed(ns, 'docs', 2);
      const faq = seed(ns, 'faq', 1);
      const foreign = seed(otherNs, 'docs', 5);
      const operatorOwn = seed('', 'operator-own', 1);
      fake.aliases.set(`${ns}live`, docs);
      const ctx = context();
      await ctx.gatewayKeys.issue({ instanceId, tenantId: tenant.id });

      const first = plugin.provisioner!.deprovision(ctx, ref, meta(1));
      await expect(first).rejects.toThrow(RetryableError);
      const error = (await first.catch((e: unknown) => e)) as RetryableError;
      expect(error.options.retryAfterMs).toBe(24 * HOUR);
      expect(error.message).toMatch(/2 collection\(s\) .* are deleted from 2026-03-02T12:00:00.000Z/);
      expect(ctx.gatewayKeys.current(instanceId)).toBeUndefined();
      expect(ctx.gatewayKeys.revoked.map((k) => k.instanceId)).toEqual([instanceId]);
      expect(fake.names(ns)).toEqual([docs, faq]);
      expect(fake.collections.get(docs)!.metadata).toEqual({ [RESERVED_METADATA_KEY]: '2026-03-01T12:00:00.000Z' });

      // a retry before the end of the grace period (e.g. the job was re-queued) waits for the rest
      clock.advance(20 * HOUR);
      const early = (await plugin.provisioner!.deprovision(ctx, ref, meta(2)).catch((e: unknown) => e)) as RetryableError;
      expect(early).toBeInstanceOf(RetryableError);
      expect(early.options.retryAfterMs).toBe(4 * HOUR);
      expect(fake.names(ns)).toEqual([docs, faq]);

      clock.advance(4 * HOUR);
      await plugin.provisioner!.deprovision(ctx, ref, meta(3));
      expect(fake.names(ns)).toEqual([]);
      expect([...fake.aliases.keys()]).toEqual([]);
      expect(fake.names()).toEqual([operatorOwn, foreign].sort());
      expect(fake.collections.get(foreign)!.points.size).toBe(5);
    });

    it('keeps the deadline across generations (a new request key after the attempts ran out)', async () => {
      seed(ns, 'docs', 1);
      await plugin.provisioner!.deprovision(context(), ref, meta(1, 1)).catch(() => undefined);
      clock.advance(23 * HOUR);
      const later = (await plugin.provisioner!.deprovision(context(), ref, meta(1, 2)).catch((e: unknown) => e)) as RetryableError;
      expect(later.options.retryAfterMs).toBe(1 * HOUR);
    });

    it('gives a collection that appears during the grace period its own full grace', async () => {
      seed(ns, 'docs', 1);
      await plugin.provisioner!.deprovision(context(), ref, meta(1)).catch(() => undefined);
      clock.advance(12 * HOUR);
      const late = seed(ns, 'late', 1);
      await plugin.provisioner!.deprovision(context(), ref, meta(2)).catch(() => undefined);
      clock.advance(12 * HOUR);
      const third = (await plugin.provisioner!.deprovision(context(), ref, meta(3)).catch((e: unknown) => e)) as RetryableError;
      expect(third.options.retryAfterMs).toBe(12 * HOUR);
      expect(fake.names(ns)).toEqual([late]);
      clock.advance(12 * HOUR);
      await plugin.provisioner!.deprovision(context(), ref, meta(4));
      expect(fake.names(ns)).toEqual([]);
    });

    it('follows a shorter grace period the operator configured meanwhile', async () => {
      seed(ns, 'docs', 1);
      await plugin.provisioner!.deprovision(context(), ref, meta(1)).catch(() => undefined);
      clock.advance(2 * HOUR);
      await plugin.provisioner!.deprovision(context({ deprovisionGraceSeconds: 3600 }), ref, meta(2));
      expect(fake.names(ns)).toEqual([]);
    });

    it('deletes at once with a grace period of 0, and finishes at once when there is nothing to delete', async () => {
      seed(ns, 'docs', 1);
      await plugin.provisioner!.deprovision(context({ deprovisionGraceSeconds: 0 }), ref, meta(1));
      expect(fake.names(ns)).toEqual([]);
      await plugin.provisioner!.deprovision(context(), ref, meta(2));
      expect(fake.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    });
  });
});

describe('qdrant usage collector', () => {
  const window = { from: new Date('2026-03-01T12:00:00.000Z'), to: new Date('2026-03-01T12:01:00.000Z') };
  const collect = async (ctx: QdrantTestContext, w = window) => {
    const records = [];
    for await (const record of plugin.usageCollector!.collect(ctx, ref, w)) records.push(record);
    return records;
  };

  beforeEach(() => fake.reset());

  it("samples the points of the instance's collections only, dated inside the window, keyed by the window", async () => {
    seed(ns, 'docs', 3);
    seed(ns, 'faq', 4);
    seed(otherNs, 'docs', 100);
    seed('', 'operator-own', 1000);
    const ctx = qdrantContext({ url: fake.url, apiKey: fake.apiKey });
    expect(await collect(ctx)).toEqual([
      { meter: 'qdrant.points', quantity: '7', timestamp: '2026-03-01T12:00:59.999Z', idempotencyKey: `qdrant.points:${instanceId}:2026-03-01T12:00:00.000Z` },
    ]);
    // another reading of the same window keeps its key; the next window has its own
    fake.collections.get(`${ns}docs`)!.points.clear();
    expect((await collect(ctx))[0]).toMatchObject({ quantity: '4', idempotencyKey: `qdrant.points:${instanceId}:2026-03-01T12:00:00.000Z` });
    const next = { from: window.to, to: new Date(window.to.getTime() + 60_000) };
    expect((await collect(ctx, next))[0].idempotencyKey).toBe(`qdrant.points:${instanceId}:2026-03-01T12:01:00.000Z`);
  });

  it('reports a level of 0 when the tenant has no collections (the gauge must drop)', async () => {
    expect(await collect(qdrantContext({ url: fake.url, apiKey: fake.apiKey }))).toMatchObject([{ meter: 'qdrant.points', quantity: '0' }]);
  });

  it('turns a 503 into a RetryableError', async () => {
    fake.failWith(503);
    await expect(collect(qdrantContext({ url: fake.url, apiKey: fake.apiKey }))).rejects.toThrow(RetryableError);
  });
});

describe('qdrant health', () => {
  beforeEach(() => fake.reset());

  it('reports the server healthy with its version, and unhealthy with a wrong operator key', async () => {
    expect(await plugin.health!.check(qdrantContext({ url: fake.url, apiKey: fake.apiKey }))).toMatchObject({ status: 'healthy', message: 'Qdrant 1.19.0' });
    const wrong = await plugin.health!.check(qdrantContext({ url: fake.url, apiKey: 'wrong' }));
    expect(wrong).toMatchObject({ status: 'unhealthy' });
    expect(wrong.message).toMatch(/401/);
  });

  it("counts an instance's collections", async () => {
    seed(ns, 'docs', 1);
    seed(otherNs, 'docs', 1);
    expect(await plugin.health!.check(qdrantContext({ url: fake.url, apiKey: fake.apiKey }), ref)).toMatchObject({ status: 'healthy', details: { collections: '1' } });
  });
});
