// The Qdrant plugin end to end: the real core provisions two tenants' Qdrant services, the real
// gateway serves them in front of a fake Qdrant over HTTP (plugins/qdrant/src/__tests__/fake-qdrant.ts, after
// Qdrant's openapi.json), and the official client @qdrant/js-client-rest 1.18.0 talks to both.
import { QdrantClient } from '@qdrant/js-client-rest';
import { UsageCollectionRuntime } from '@werkbank/metering';
import { bearer, startGatewayEnv, waitForUsage, type GatewayEnv } from '../../support/gateway-env';
import { waitFor } from '../../support/wait-for';
import { FAKE_TIME, FakeQdrant } from '../../../plugins/qdrant/src/__tests__/fake-qdrant';
import plugin from '../../../plugins/qdrant/src/index';
import { RESERVED_METADATA_KEY } from '../../../plugins/qdrant/src/qdrant.gateway';
import { namespaceOf } from '../../../plugins/qdrant/src/qdrant.namespace';

const GRACE_SECONDS = 3;
const vector = (i: number) => [Math.cos(i), Math.sin(i), i / 10, 1];

interface Tenant {
  id: string;
  instanceId: string;
  apiKey: string;
  namespace: string;
  client: QdrantClient;
}

/** What a call gave back: its result, or the error the client threw (status and Qdrant's body). */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await call() };
  } catch (error) {
    const e = error as { status?: number; data?: unknown; message?: string; name?: string };
    return { error: { name: e.name, status: e.status, data: e.data, message: e.message } };
  }
}

/**
 * A session of an application with the official client. Returns every answer, and how many
 * queries (`qdrant.queries`) it made that succeeded.
 */
async function session(client: QdrantClient): Promise<{ answers: Record<string, unknown>; queries: number }> {
  const answers: Record<string, unknown> = {};
  answers.createDocs = await outcome(() => client.createCollection('docs', { vectors: { size: 4, distance: 'Cosine' } }));
  answers.createFaq = await outcome(() => client.createCollection('faq', { vectors: { size: 4, distance: 'Cosine' } }));
  answers.createAgain = await outcome(() => client.createCollection('docs', { vectors: { size: 4, distance: 'Cosine' } }));
  answers.upsertDocs = await outcome(() => client.upsert('docs', { wait: true, points: [1, 2, 3].map((id) => ({ id, vector: vector(id), payload: { title: `doc ${id}`, lang: id === 2 ? 'de' : 'en' } })) }));
  answers.upsertFaq = await outcome(() => client.upsert('faq', { wait: true, points: [10, 11].map((id) => ({ id, vector: vector(id), payload: { q: `q${id}` } })) }));
  answers.alias = await outcome(() => client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'docs', alias_name: 'live' } }] }));
  answers.collections = await outcome(() => client.getCollections());
  answers.aliases = await outcome(() => client.getAliases());
  answers.exists = await outcome(() => client.collectionExists('docs'));
  answers.info = await outcome(() => client.getCollection('docs'));
  answers.query = await outcome(() => client.query('docs', { query: vector(1.2), limit: 2, with_payload: true }));
  answers.queryByAlias = await outcome(() => client.query('live', { query: vector(2.9), limit: 1 }));
  answers.queryBatch = await outcome(() => client.queryBatch('docs', { searches: [{ query: vector(1), limit: 1 }, { query: vector(3), limit: 1, filter: { must: [{ key: 'lang', match: { value: 'en' } }] } }] }));
  answers.recommendFromFaq = await outcome(() => client.query('docs', { query: { recommend: { positive: [10] } }, lookup_from: { collection: 'faq' }, limit: 2 }));
  answers.search = await outcome(() => client.search('docs', { vector: vector(2), limit: 2 }));
  answers.scroll = await outcome(() => client.scroll('docs', { limit: 2, with_payload: true }));
  answers.count = await outcome(() => client.count('docs', { exact: true }));
  answers.queryMissing = await outcome(() => client.query('missing', { query: vector(1) }));
  answers.deleteFaq = await outcome(() => client.deleteCollection('faq'));
  answers.collectionsAfter = await outcome(() => client.getCollections());
  // query 1 + by alias 1 + batch 2 + recommend 1 + search 1 + scroll 1 + count 1; the failed one counts nothing
  return { answers, queries: 8 };
}

describe('qdrant plugin through the gateway (@qdrant/js-client-rest 1.18.0)', () => {
  const fake = new FakeQdrant();
  let env: GatewayEnv;
  let a: Tenant;
  let b: Tenant;
  const gatewayClient = (apiKey: string) => new QdrantClient({ url: env.url, prefix: '/qdrant', apiKey, checkCompatibility: false });

  async function provision(): Promise<Tenant> {
    const tenant = await env.tenant();
    const { instance, credentials } = await env.provision(tenant.id, 'qdrant');
    const slug = `t-${tenant.id.replace(/-/g, '').slice(-12)}`;
    return { id: tenant.id, instanceId: instance.id, apiKey: credentials.apiKey, namespace: namespaceOf(slug, instance.id), client: gatewayClient(credentials.apiKey) };
  }

  beforeAll(async () => {
    await fake.start();
    env = await startGatewayEnv({
      plugins: [plugin],
      pluginEnv: { WERKBANK_PLUGIN_QDRANT_OPTIONS: JSON.stringify({ url: fake.url, apiKey: fake.apiKey, deprovisionGraceSeconds: GRACE_SECONDS, publicUrl: 'https://gateway.example.test/qdrant' }) },
      // the test runs collection rounds itself, with no lag
      env: { METERING_COLLECT_INTERVAL_MS: '3600000', METERING_COLLECT_LAG_MS: '0', ACCESS_TOKEN_TTL: '12h' },
    });
    a = await provision();
    b = await provision();
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await fake.close();
  });

  it('hands out the gateway key and the public endpoint, never the operator key', async () => {
    expect(a.apiKey).toMatch(/^wbk_/);
    expect(a.apiKey).not.toBe(b.apiKey);
    const shown = await env.t.http.get(`/v1/services/${a.instanceId}`).set(env.t.auth(await env.t.adminToken()));
    expect(shown.body.endpoints).toEqual({ api: 'https://gateway.example.test/qdrant' });
    expect(JSON.stringify(shown.body)).not.toContain(fake.apiKey);
  });

  it('answers the client through the gateway exactly as Qdrant answers it directly, and meters what happened', async () => {
    // directly, on an empty server
    const direct = await session(new QdrantClient({ url: fake.url, apiKey: fake.apiKey, checkCompatibility: false }));
    for (const name of fake.names()) fake.collections.delete(name);
    fake.aliases.clear();
    // other tenants' and the operator's collections exist while tenant A works
    await b.client.createCollection('docs', { vectors: { size: 4, distance: 'Cosine' } });
    await b.client.upsert('docs', { wait: true, points: [{ id: 99, vector: vector(99), payload: { owner: 'b' } }] });
    await new QdrantClient({ url: fake.url, apiKey: fake.apiKey, checkCompatibility: false }).createCollection('operator-own', { vectors: { size: 4, distance: 'Dot' } });

    const through = await session(a.client);
    expect(through.answers).toEqual(direct.answers);
    // the session did what it should, so the comparison means something
    expect(direct.answers.collectionsAfter).toEqual({ ok: { collections: [{ name: 'docs' }] } });
    expect(direct.answers.aliases).toEqual({ ok: { aliases: [{ alias_name: 'live', collection_name: 'docs' }] } });
    expect(direct.answers.count).toEqual({ ok: { count: 3 } });
    expect((direct.answers.queryMissing as { error: { status: number; data: unknown } }).error).toMatchObject({ status: 404, data: { status: { error: "Not found: Collection `missing` doesn't exist!" }, time: FAKE_TIME } });
    expect((direct.answers.recommendFromFaq as { ok: { points: unknown[] } }).ok.points).toHaveLength(2);
    // at the server, A's collections carry its namespace
    expect(fake.names(a.namespace)).toEqual([`${a.namespace}docs`]);

    await waitForUsage(env, a.id, 'qdrant.queries', String(through.queries));
    expect((await env.usage(b.id))['qdrant.queries']).toBeUndefined();
  });

  it('keeps the raw envelope (result, status, time) through the gateway', async () => {
    const raw = await fetch(`${env.url}/qdrant/collections/docs/points/count`, {
      method: 'POST', headers: { 'api-key': a.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ exact: true }),
    });
    expect(raw.status).toBe(200);
    expect(await raw.json()).toEqual({ result: { count: 3 }, status: 'ok', time: FAKE_TIME });
    const version = await fetch(`${env.url}/qdrant/`, { headers: { 'api-key': a.apiKey } });
    expect(await version.json()).toEqual(await (await fetch(`${fake.url}/`)).json());
  });

  it('samples the points of each tenant with the usage collector', async () => {
    const runtime = env.t.app.get(UsageCollectionRuntime, { strict: false });
    const now = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    // the last sample of each tenant is dated 1 ms before `now`: over [now - 1 ms, now) the average level is that sample
    const level = async (tenantId: string) => {
      const res = await env.t.http.get(`/v1/tenants/${tenantId}/usage`).query({ meter: 'qdrant.points', from: new Date(now.getTime() - 1).toISOString(), to: now.toISOString() })
        .set(env.t.auth(await env.t.adminToken()));
      expect(res.status).toBe(200);
      return (res.body.items as Array<{ value: string }>)[0]?.value;
    };
    env.t.clock.freeze(now);
    try {
      await runtime.collectOnce();
      expect(await level(a.id)).toBe('3');
      expect(await level(b.id)).toBe('1');
    } finally {
      env.t.clock.unfreeze();
      // back to real time: the deprovisioning test compares the plugin's clock with the queue's
      env.t.clock.travel(Date.now() - env.t.clock.now().getTime());
    }
  });

  describe('isolation', () => {
    it('gives two tenants the same collection name independently', async () => {
      expect((await a.client.count('docs', { exact: true })).count).toBe(3);
      expect((await b.client.count('docs', { exact: true })).count).toBe(1);
      expect((await b.client.getCollections()).collections).toEqual([{ name: 'docs' }]);
      const bPoints = await b.client.scroll('docs', { with_payload: true });
      expect(bPoints.points).toEqual([{ id: 99, payload: { owner: 'b' } }]);
    });

    it("cannot name B's collections from A, not even by B's namespace, and learns nothing of it from errors", async () => {
      const foreign = `${b.namespace}docs`;
      for (const call of [
        () => a.client.getCollection(foreign),
        () => a.client.count(foreign, {}),
        () => a.client.query('docs', { query: { recommend: { positive: [99] } }, lookup_from: { collection: foreign } }),
      ]) {
        const result = (await outcome(call)) as { error: { status: number; data: unknown; message: string } };
        expect(result.error.status).toBe(404);
        expect(JSON.stringify(result.error)).not.toContain(b.namespace);
        expect(JSON.stringify(result.error)).not.toContain(a.namespace);
      }
      expect(await a.client.collectionExists(foreign)).toEqual({ exists: false });
      expect(await outcome(() => a.client.deleteCollection(foreign))).toEqual({ ok: false });
      expect(fake.collections.get(foreign)?.points.size).toBe(1);
      const aliasAttempt = (await outcome(() => a.client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: foreign, alias_name: 'mine' } }] }))) as { error: { status: number } };
      expect(aliasAttempt.error.status).toBe(404);
    });

    it("deletes only A's collection when A deletes a name B also has", async () => {
      await a.client.createCollection('shared-name', { vectors: { size: 4, distance: 'Dot' } });
      await b.client.createCollection('shared-name', { vectors: { size: 4, distance: 'Dot' } });
      expect(await a.client.deleteCollection('shared-name')).toBe(true);
      expect(await b.client.collectionExists('shared-name')).toEqual({ exists: true });
      expect(await a.client.collectionExists('shared-name')).toEqual({ exists: false });
    });

    it('refuses keys that belong to no Qdrant service, and operator-only paths to tenants', async () => {
      const loose = await env.key(a.id, ['gateway:qdrant']);
      const refused = await fetch(`${env.url}/qdrant/collections`, { headers: { 'api-key': loose.key } });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: 'qdrant.no_service' });
      for (const path of ['/snapshots', '/collections/docs/snapshots', '/cluster', '/telemetry', '/collections/docs/shards']) {
        const res = await fetch(`${env.url}/qdrant${path}`, { headers: { 'api-key': a.apiKey } });
        expect({ path, status: res.status, code: ((await res.json()) as { code?: string }).code }).toEqual({ path, status: 403, code: 'gateway.operator_only' });
      }
      const unknown = await fetch(`${env.url}/qdrant/locks`, { headers: bearer(a.apiKey) });
      expect(unknown.status).toBe(404);
    });

    it("never lets the operator's key reach a client or a log, nor a tenant's key reach Qdrant", () => {
      const forwarded = fake.requests.filter((r) => r.path !== '/' && !/^\/(healthz|livez|readyz)$/.test(r.path));
      expect(forwarded.length).toBeGreaterThan(20);
      expect(forwarded.filter((r) => r.headers['api-key'] !== fake.apiKey)).toEqual([]);
      const seen = JSON.stringify(fake.requests.map((r) => r.headers));
      expect(seen).not.toContain(a.apiKey);
      expect(seen).not.toContain(b.apiKey);
      for (const line of [...env.logs, ...env.t.logs]) expect(line).not.toContain(fake.apiKey);
    });
  });

  describe('lifecycle', () => {
    it('blocks a suspended service without deleting anything, and serves it again after resumption', async () => {
      await env.setService(a.instanceId, 'suspend');
      await env.t.waitForServiceState(a.instanceId, 'suspended');
      await waitFor('the gateway refuses the suspended key', async () => (await fetch(`${env.url}/qdrant/collections`, { headers: { 'api-key': a.apiKey } })).status === 403, 10_000, 100);
      expect(fake.names(a.namespace)).toEqual([`${a.namespace}docs`]);
      await env.setService(a.instanceId, 'resume');
      await env.t.waitForServiceState(a.instanceId, 'active');
      await waitFor('the gateway serves the resumed key', async () => (await fetch(`${env.url}/qdrant/collections`, { headers: { 'api-key': a.apiKey } })).status === 200, 10_000, 100);
      expect((await a.client.count('docs', { exact: true })).count).toBe(3);
    });

    it("deprovisioning cuts access at once and deletes the tenant's collections after the grace period, nobody else's", async () => {
      await env.setService(a.instanceId, 'deprovision');
      await waitFor('the collections are stamped', async () => fake.collections.get(`${a.namespace}docs`)?.metadata[RESERVED_METADATA_KEY] !== undefined, 10_000, 20);
      const stampedAt = Date.parse(String(fake.collections.get(`${a.namespace}docs`)!.metadata[RESERVED_METADATA_KEY]));
      // within the grace period: kept, but the tenant cannot reach it
      expect(fake.names(a.namespace)).toEqual([`${a.namespace}docs`]);
      expect(((await env.t.waitForServiceState(a.instanceId, 'deprovisioning')) as { state: string }).state).toBe('deprovisioning');
      await waitFor('the gateway refuses the revoked key', async () => (await fetch(`${env.url}/qdrant/collections`, { headers: { 'api-key': a.apiKey } })).status === 401, 10_000, 100);

      await env.t.waitForServiceState(a.instanceId, 'deprovisioned', 20_000);
      expect(Date.now() - stampedAt).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000);
      expect(fake.names(a.namespace)).toEqual([]);
      expect(fake.names(b.namespace)).toEqual([`${b.namespace}docs`, `${b.namespace}shared-name`]);
      expect(fake.names('operator-own')).toEqual(['operator-own']);
      expect((await b.client.count('docs', { exact: true })).count).toBe(1);
    }, 40_000);
  });
});
