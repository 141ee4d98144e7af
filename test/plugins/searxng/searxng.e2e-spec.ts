// The SearXNG plugin against a real search engine: Debian's python3-searx started on loopback
// (searx-process.ts) searching only a loopback web index (fake-web-index.ts), behind the real
// core and metering gateway (test/support/gateway-env.ts). What a tenant gets through
// /searxng/search, in JSON and HTML, by GET and POST (../shared/specs/searxng/search_api.rst),
// equals what searx answers directly; /v1/tenants/:id/usage shows exactly the searches made;
// the monthly query limit entitlement refuses with 429 quota.exceeded once it is used up.
import { bearer, startGatewayEnv, waitForUsage, type GatewayEnv } from '../../support/gateway-env';
import plugin from '../../../plugins/searxng/src/index';
import { FakeWebIndex } from './fake-web-index';
import { startSearx, type SearxProcess } from './searx-process';

jest.setTimeout(60_000);

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

describe('searxng plugin: real searx behind the metering gateway', () => {
  const index = new FakeWebIndex();
  let searx: SearxProcess;
  let env: GatewayEnv;
  let tenant: { id: string };
  let apiKey: string;
  let instanceId: string;

  beforeAll(async () => {
    await index.start();
    searx = await startSearx(index.url);
    env = await startGatewayEnv({
      plugins: [plugin],
      pluginEnv: { WERKBANK_PLUGIN_SEARXNG_OPTIONS: JSON.stringify({ url: searx.url, gatewayUrl: 'https://gateway.example.com' }) },
    });
    tenant = await env.tenant();
    const provisioned = await env.provision(tenant.id, 'searxng');
    apiKey = provisioned.credentials.apiKey;
    instanceId = provisioned.instance.id;
  });
  afterAll(async () => {
    await env?.close();
    await searx?.close();
    await index.close();
  });

  const read = async (res: Response): Promise<Answer> => ({ status: res.status, contentType: res.headers.get('content-type'), body: await res.text() });
  /** GET /search with `params` at searx itself, or through the gateway with `key` */
  const get = (params: Record<string, string>, key?: string) =>
    fetch(`${key ? `${env.url}/searxng` : searx.url}/search?${new URLSearchParams(params)}`, { headers: key ? bearer(key) : {} }).then(read);
  /** POST /search with `form` as application/x-www-form-urlencoded */
  const post = (form: Record<string, string>, key?: string) =>
    fetch(`${key ? `${env.url}/searxng` : searx.url}/search`, { method: 'POST', headers: key ? bearer(key) : {}, body: new URLSearchParams(form) }).then(read);
  /** the searches the gateway forwarded for this tenant reached searx's engine */
  const searchesAtIndex = (q: string) => index.queries.filter((x) => x === q).length;

  it('gives the tenant its gateway key, the search endpoint and the Basic quota of 10,000 searches a month', async () => {
    expect(apiKey).toMatch(/^wbk_/);
    const instance = await env.t.http.get(`/v1/services/${instanceId}`).set(env.t.auth(await env.t.adminToken()));
    expect(instance.body).toMatchObject({ state: 'active', endpoints: { search: 'https://gateway.example.com/searxng/search' }, entitlements: { 'searxng.monthlyQueryLimit': 10000 } });
    const quotas = await env.t.http.get(`/v1/tenants/${tenant.id}/quotas`).set(env.t.auth(await env.t.adminToken()));
    expect(quotas.body.items ?? quotas.body).toEqual([expect.objectContaining({ meter: 'searxng.queries', hardLimit: '10000' })]);
  });

  it('serves GET and POST /search in JSON and HTML exactly as searx answers them, and meters exactly the searches', async () => {
    // not searches: searx's start page (GET and POST without q), and 400 "No query"; none reaches the engine
    const startPage = await get({}, apiKey);
    expect(startPage).toEqual(await get({}));
    expect(startPage).toMatchObject({ status: 200, contentType: expect.stringMatching(/^text\/html/) });
    const emptyPost = await fetch(`${env.url}/searxng/search`, { method: 'POST', headers: bearer(apiKey) }).then(read);
    expect(emptyPost).toEqual(await fetch(`${searx.url}/search`, { method: 'POST' }).then(read));
    expect(emptyPost.status).toBe(200);
    const noQuery = await post({ format: 'json' }, apiKey);
    expect(noQuery).toEqual({ status: 400, contentType: 'application/json', body: '{"error": "No query"}' });
    expect(index.queries).toEqual([]);

    // the searches: each asked through the gateway and directly, compared as received
    const jsonGet = await get({ q: 'werkbank metering', format: 'json' }, apiKey);
    expect(jsonGet).toEqual(await get({ q: 'werkbank metering', format: 'json' }));
    expect(jsonGet.contentType).toBe('application/json');
    expect(JSON.parse(jsonGet.body)).toMatchObject({
      query: 'werkbank metering',
      results: FakeWebIndex.resultsFor('werkbank metering').map((r) => expect.objectContaining({ url: r.url, title: r.title, content: r.content, engine: 'loopback index' })),
      unresponsive_engines: [],
    });

    const htmlGet = await get({ q: 'werkbank gateway' }, apiKey);
    expect(htmlGet).toEqual(await get({ q: 'werkbank gateway' }));
    expect(htmlGet.contentType).toMatch(/^text\/html/);
    expect(htmlGet.body).toContain('href="https://docs.example.org/werkbank-gateway"');

    const jsonPost = await post({ q: 'tenant isolation', format: 'json' }, apiKey);
    expect(jsonPost).toEqual(await post({ q: 'tenant isolation', format: 'json' }));
    expect(JSON.parse(jsonPost.body).results.map((r: { url: string }) => r.url)).toEqual(FakeWebIndex.resultsFor('tenant isolation').map((r) => r.url));

    const htmlPost = await post({ q: 'fair use' }, apiKey);
    expect(htmlPost).toEqual(await post({ q: 'fair use' }));
    expect(htmlPost.contentType).toMatch(/^text\/html/);
    expect(htmlPost.body).toContain('href="https://wiki.example.org/wiki/fair-use"');

    // searx really searched, once through the gateway and once directly, for each
    expect(['werkbank metering', 'werkbank gateway', 'tenant isolation', 'fair use'].map(searchesAtIndex)).toEqual([2, 2, 2, 2]);

    // four searches through the gateway: four searxng.queries, nothing for the rest
    await waitForUsage(env, tenant.id, 'searxng.queries', '4');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await env.usage(tenant.id)).toEqual({ 'searxng.queries': '4' });
  });

  it('keeps the tenant within searxng.monthlyQueryLimit: 429 quota.exceeded once the month is used up, without asking searx', async () => {
    const other = await env.tenant();
    const limited = await env.provision(other.id, 'searxng');
    await env.setEntitlements(other.id, limited.instance.id, { 'searxng.monthlyQueryLimit': 2 });
    const quotas = await env.t.http.get(`/v1/tenants/${other.id}/quotas`).set(env.t.auth(await env.t.adminToken()));
    expect(quotas.body.items ?? quotas.body).toEqual([expect.objectContaining({ meter: 'searxng.queries', hardLimit: '2' })]);

    expect((await get({ q: 'quota one', format: 'json' }, limited.credentials.apiKey)).status).toBe(200);
    expect((await post({ q: 'quota two' }, limited.credentials.apiKey)).status).toBe(200);
    const refused = await fetch(`${env.url}/searxng/search?q=quota+three&format=json`, { headers: bearer(limited.credentials.apiKey) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await refused.json()).toMatchObject({ code: 'quota.exceeded', meter: 'searxng.queries', hardLimit: '2', used: '2', resetsAt: expect.any(String) });
    expect((await post({ q: 'quota three' }, limited.credentials.apiKey)).status).toBe(429);
    expect(searchesAtIndex('quota three')).toBe(0);

    await waitForUsage(env, other.id, 'searxng.queries', '2');
    // from metering's own count too, once the gateway has re-read it
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await get({ q: 'quota three', format: 'json' }, limited.credentials.apiKey)).status).toBe(429);
    expect(await env.usage(other.id)).toEqual({ 'searxng.queries': '2' });
    // the first tenant's searches are its own
    expect((await get({ q: 'still allowed', format: 'json' }, apiKey)).status).toBe(200);
  });

  it('refuses a gateway:searxng key that belongs to no SearXNG service (no monthly limit, no suspension) with 403 searxng.no_service', async () => {
    const { key } = await env.key(tenant.id, ['gateway:searxng']);
    const res = await fetch(`${env.url}/searxng/search?q=free+ride&format=json`, { headers: bearer(key) });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'searxng.no_service' });
    expect(searchesAtIndex('free ride')).toBe(0);
  });

  it("reports searx's health from /healthz through GET /v1/plugins", async () => {
    const res = await env.t.http.get('/v1/plugins').set(env.t.auth(await env.t.adminToken()));
    const searxng = (res.body.items ?? res.body).find((p: { id: string }) => p.id === 'searxng');
    expect(searxng).toMatchObject({ status: 'ready', health: { status: 'healthy', details: { [searx.url]: 'healthy' } } });
  });
});
