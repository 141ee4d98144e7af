// The Ollama plugin end to end: the real core (provisioning issues the tenant's gateway key) and
// the real metering gateway in front of two fake Ollama nodes (plugins/ollama/src/__tests__/fake-ollama.ts, over
// real HTTP). The official clients — the `ollama` and `openai` npm packages — get exactly what
// they get from the fake directly, and the usage in /v1/tenants/:id/usage is exactly what the
// fake reported. Isolation: operator-only paths, other plugins' scopes, models outside the tiers.
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { bearer, startGatewayEnv, waitForUsage, type GatewayEnv } from '../../support/gateway-env';
import { meteredPlugin } from '../../fixtures/gateway/metered.plugin';
import { waitFor } from '../../support/wait-for';
import { DEFAULT_MODELS, FakeOllama, type FakeReport } from '../../../plugins/ollama/src/__tests__/fake-ollama';
import plugin from '../../../plugins/ollama/src/index';
import { nanosecondsToSeconds } from '../../../plugins/ollama/src/ollama.usage';

const MODELS = [...DEFAULT_MODELS, { name: 'nomic-embed-text:latest', family: 'nomic-bert', parameterSize: '137M', embedding: true }];
const TIER_MAP = { 'llama3.2': 'standard', mistral: 'standard', 'all-minilm': 'standard', 'nomic-embed-text': 'standard', 'llama3.1:70b': 'pro' };

/** A decimal string without insignificant zeros ('1.500' -> '1.5', '2.0' -> '2'), to compare metering's answers. */
function dec(value: string | undefined): string | undefined {
  if (value === undefined || !value.includes('.')) return value;
  return value.replace(/0+$/, '').replace(/\.$/, '');
}

/** Exact sum of decimal strings with up to 9 decimals. */
function sumNs(ns: number[]): string {
  return nanosecondsToSeconds(ns.reduce((a, b) => a + b, 0));
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

describe('ollama plugin through the metering gateway (e2e)', () => {
  const nodes = [new FakeOllama({ models: MODELS, version: '0.12.6' }), new FakeOllama({ models: MODELS, version: '0.12.6' })];
  let env: GatewayEnv;
  let tenant: { id: string };
  let key: string;
  let instance: { id: string; endpoints: Record<string, string> };

  beforeAll(async () => {
    await Promise.all(nodes.map((n) => n.start()));
    env = await startGatewayEnv({
      plugins: [plugin, meteredPlugin],
      upstreams: 1,
      pluginEnv: {
        WERKBANK_PLUGIN_OLLAMA_OPTIONS: JSON.stringify({ upstreams: nodes.map((n) => n.url), gatewayUrl: 'https://gateway.example.com', models: TIER_MAP }),
      },
      gateway: { GATEWAY_KEY_CACHE_MS: '200' },
    });
    tenant = await env.tenant();
    const provisioned = await env.provision(tenant.id, 'ollama');
    key = provisioned.credentials.apiKey;
    instance = provisioned.instance;
  });
  afterAll(async () => {
    await env?.close();
    await Promise.all(nodes.map((n) => n.close()));
  });
  beforeEach(() => nodes.forEach((n) => n.reset()));

  const reports = (): FakeReport[] => nodes.flatMap((n) => n.reports);
  const fakeRequests = () => nodes.flatMap((n) => n.requests);
  const direct = () => ({ ollama: new Ollama({ host: nodes[0].url }), openai: new OpenAI({ baseURL: `${nodes[0].url}/v1`, apiKey: 'ollama', maxRetries: 0 }) });
  const viaGateway = (apiKey = key) => ({
    ollama: new Ollama({ host: `${env.url}/ollama`, headers: bearer(apiKey) }),
    openai: new OpenAI({ baseURL: `${env.url}/ollama/v1`, apiKey, maxRetries: 0 }),
  });

  it('provisioning gives the tenant a gateway key and the gateway endpoints', () => {
    expect(key).toMatch(/^wbk_/);
    expect(instance.endpoints).toEqual({ api: 'https://gateway.example.com/ollama', openai: 'https://gateway.example.com/ollama/v1' });
  });

  describe('official clients get what the fake sends, and usage is what the fake reported', () => {
    /** Timed calls on routes where GPU time is the upstream's time (OpenAI-compatible, /api/embeddings). */
    let measuredMs = 0;
    const timed = async <T>(call: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        return await call();
      } finally {
        measuredMs += performance.now() - started;
      }
    };

    /** One scripted session with both clients; returns everything the clients received. */
    async function session(clients: ReturnType<typeof direct>) {
      const { ollama, openai } = clients;
      const messages = [{ role: 'user' as const, content: 'why is the sky blue?' }];
      return {
        chat: await ollama.chat({ model: 'llama3.2', messages }),
        chatStream: await collect(await ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'tell me a story about llamas' }], stream: true })),
        generate: await ollama.generate({ model: 'llama3.2', prompt: 'Why is the grass green?', system: 'Be brief.' }),
        generateStream: await collect(await ollama.generate({ model: 'llama3.2:latest', prompt: 'count to three', stream: true })),
        embed: await ollama.embed({ model: 'all-minilm', input: ['Why is the sky blue?', 'Why is the grass green?'] }),
        embeddings: await timed(() => ollama.embeddings({ model: 'nomic-embed-text', prompt: 'Here is an article about llamas' })),
        openaiChat: await timed(() => openai.chat.completions.create({ model: 'mistral', messages: [{ role: 'user', content: 'Say hello to the world' }] })),
        openaiChatStream: await timed(async () => collect(await openai.chat.completions.create({ model: 'mistral', messages: [{ role: 'user', content: 'stream me five words please' }], stream: true }))),
        openaiChatStreamUsage: await timed(async () =>
          collect(await openai.chat.completions.create({ model: 'mistral', messages: [{ role: 'user', content: 'and with usage now' }], stream: true, stream_options: { include_usage: true } })),
        ),
        openaiCompletionStream: await timed(async () => collect(await openai.completions.create({ model: 'mistral', prompt: 'once upon a time', stream: true }))),
        openaiEmbeddings: await timed(() => openai.embeddings.create({ model: 'nomic-embed-text', input: ['first text here', 'second'] })),
      };
    }

    it('the ollama and openai packages receive through the gateway exactly what they receive directly; usage equals what the fake reported', async () => {
      const expected = await session(direct());
      // sanity: the script exercised what it means to (streams in pieces, usage chunk only when asked)
      expect(expected.chatStream.length).toBeGreaterThan(2);
      expect(expected.openaiChatStream.some((c) => c.usage)).toBe(false);
      expect(expected.openaiChatStreamUsage.at(-1)?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 });
      nodes.forEach((n) => n.reset());
      measuredMs = 0;

      const received = await session(viaGateway());
      expect(received).toEqual(expected);

      // the gateway asked upstream for the usage chunk it then hid from the client
      const streamed = fakeRequests().filter((r) => r.path === '/v1/chat/completions' && (r.body as { stream?: boolean }).stream);
      expect(streamed.map((r) => (r.body as { stream_options?: unknown }).stream_options)).toEqual([{ include_usage: true }, { include_usage: true }]);
      // the tenant's key never reached a node; both nodes served
      expect(fakeRequests().every((r) => r.headers.authorization === undefined)).toBe(true);
      expect(nodes.map((n) => n.requests.length > 0)).toEqual([true, true]);

      const reported = reports();
      await waitForUsage(env, tenant.id, 'ollama.requests', String(reported.length));
      const byModel = (pick: (r: FakeReport) => number) => {
        const sums: Record<string, string> = {};
        for (const r of reported) {
          const model = r.model.includes(':') ? r.model : `${r.model}:latest`;
          const value = pick(r);
          if (value > 0) sums[model] = String(Number(sums[model] ?? 0) + value);
        }
        return sums;
      };
      const grouped = await env.usage(tenant.id, { groupBy: 'model' });
      const normalize = (g: Record<string, string> | undefined) => Object.fromEntries(Object.entries(g ?? {}).map(([k, v]) => [k, dec(v)]));
      expect(normalize(grouped['ollama.tokens.prompt'])).toEqual(byModel((r) => r.promptTokens));
      expect(normalize(grouped['ollama.tokens.completion'])).toEqual(byModel((r) => r.completionTokens));
      expect(normalize(grouped['ollama.requests'])).toEqual(byModel(() => 1));
      // GPU seconds: exactly the reported total_duration on the native routes ...
      const gpu = normalize(grouped['ollama.gpu_seconds']);
      expect(gpu['llama3.2:latest']).toBe(sumNs(reported.filter((r) => r.model.startsWith('llama3.2')).map((r) => r.totalDuration)));
      expect(gpu['all-minilm:latest']).toBe(sumNs(reported.filter((r) => r.model === 'all-minilm').map((r) => r.totalDuration)));
      // ... and the upstream's time where Ollama reports none: more than nothing, less than the clients waited
      const measured = Number(gpu['mistral:latest']) + Number(gpu['nomic-embed-text:latest']);
      expect(Number(gpu['mistral:latest'])).toBeGreaterThan(0);
      expect(Number(gpu['nomic-embed-text:latest'])).toBeGreaterThan(0);
      expect(measured).toBeLessThanOrEqual(measuredMs / 1000);
      // every model here is a standard one
      const tiers = await env.usage(tenant.id, { groupBy: 'tier', meter: 'ollama.tokens.prompt' });
      expect(Object.keys(tiers['ollama.tokens.prompt'])).toEqual(['standard']);
    });

    it('GET /api/tags and /v1/models list only the models of the tenant’s tiers; /api/show and /api/version pass', async () => {
      const { ollama, openai } = viaGateway();
      const tags = await ollama.list();
      expect(tags.models.map((m) => m.name).sort()).toEqual(['all-minilm:latest', 'llama3.2:latest', 'mistral:latest', 'nomic-embed-text:latest']);
      const all = await direct().ollama.list();
      expect(tags.models).toEqual(all.models.filter((m) => m.name !== 'llama3.1:70b'));
      const models = await collect(openai.models.list());
      expect(models.map((m) => m.id).sort()).toEqual(['all-minilm:latest', 'llama3.2:latest', 'mistral:latest', 'nomic-embed-text:latest']);
      expect(await openai.models.retrieve('mistral:latest')).toEqual(await direct().openai.models.retrieve('mistral:latest'));
      expect(await ollama.show({ model: 'llama3.2' })).toEqual(await direct().ollama.show({ model: 'llama3.2' }));
      expect(await ollama.version()).toEqual({ version: '0.12.6' });
    });
  });

  describe('isolation', () => {
    const call = (path: string, init: RequestInit & { key?: string } = {}) =>
      fetch(`${env.url}${path}`, { ...init, headers: { ...bearer(init.key ?? key), 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });

    it('refuses a model outside the tenant’s tiers with 403 ollama.model_not_allowed on every route; nothing reaches a node', async () => {
      const cases: Array<[string, unknown]> = [
        ['/ollama/api/chat', { model: 'llama3.1:70b', messages: [{ role: 'user', content: 'hi' }] }],
        ['/ollama/api/generate', { model: 'registry.ollama.ai/library/llama3.1:70b', prompt: 'hi' }],
        ['/ollama/api/show', { model: 'llama3.1:70b' }],
        ['/ollama/v1/chat/completions', { model: 'llama3.1:70b', messages: [{ role: 'user', content: 'hi' }], stream: true }],
        ['/ollama/api/embed', { model: 'not-listed-anywhere', input: 'x' }],
      ];
      for (const [path, body] of cases) {
        const res = await call(path, { method: 'POST', body: JSON.stringify(body) });
        expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status: 403, type: expect.stringMatching(/^application\/problem\+json/) });
        expect(await res.json()).toMatchObject({ code: 'ollama.model_not_allowed' });
      }
      const retrieve = await call('/ollama/v1/models/llama3.1:70b');
      expect(retrieve.status).toBe(403);
      await retrieve.text();
      await expect(viaGateway().ollama.chat({ model: 'llama3.1:70b', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status_code: 403 });
      expect(fakeRequests()).toEqual([]);
    });

    it('takes Ollama’s own curl examples (`curl -d`: JSON sent as a form): the model check sees the body, the answer is the node’s', async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const body = JSON.stringify({ model: 'llama3.2', prompt: 'why is the sky blue', stream: false });
      const through = await call('/ollama/api/generate', { method: 'POST', body, headers: form });
      expect(through.status).toBe(200);
      const answer = await through.json();
      const straight = await fetch(`${nodes[0].url}/api/generate`, { method: 'POST', body, headers: form });
      expect(answer).toEqual(await straight.json());
      // the same form-typed body with a model outside the tiers is refused before any node sees it
      const before = fakeRequests().length;
      const refused = await call('/ollama/api/generate', { method: 'POST', body: JSON.stringify({ model: 'llama3.1:70b', prompt: 'hi' }), headers: form });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: 'ollama.model_not_allowed' });
      // a form body that is not JSON has no model to check: refused as before
      const notJson = await call('/ollama/api/generate', { method: 'POST', body: 'model=llama3.2&prompt=hi', headers: form });
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toMatchObject({ code: 'ollama.model_required' });
      expect(fakeRequests().length).toBe(before);
    });

    it('refuses model management and the pool state to a tenant (403 gateway.operator_only); the operator uses them with its own key', async () => {
      const tenantCalls: Array<[string, string, unknown?]> = [
        ['POST', '/ollama/api/pull', { model: 'llama3.3' }],
        ['POST', '/ollama/api/push', { model: 'me/llama3.2' }],
        ['POST', '/ollama/api/create', { model: 'mine', from: 'llama3.2' }],
        ['POST', '/ollama/api/copy', { source: 'llama3.2', destination: 'copy' }],
        ['DELETE', '/ollama/api/delete', { model: 'llama3.2' }],
        ['HEAD', '/ollama/api/blobs/sha256:abc', undefined],
        ['POST', '/ollama/api/blobs/sha256:abc', 'bytes'],
        ['GET', '/ollama/api/ps', undefined],
      ];
      for (const [method, path, body] of tenantCalls) {
        const res = await call(path, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
        if (method !== 'HEAD') expect(await res.json()).toMatchObject({ code: 'gateway.operator_only' });
        else await res.text();
      }
      expect(fakeRequests()).toEqual([]);

      const operator = await env.key(env.t.operatorTenantId, ['gateway:ollama']);
      const admin = viaGateway(operator.key).ollama;
      const pulled = await collect(await admin.pull({ model: 'llama3.3', stream: true }));
      expect(pulled.at(-1)).toEqual({ status: 'success' });
      expect(await admin.ps()).toEqual({ models: [] });
      expect(fakeRequests().map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /api/ps', 'POST /api/pull']);
      // the operator may use every model, also one no tier lists
      expect((await admin.list()).models.map((m) => m.name)).toContain('llama3.1:70b');
    });

    it('a gateway:ollama key the tenant made itself (no service) is refused with 403 ollama.no_service', async () => {
      const own = await env.key(tenant.id, ['gateway:ollama']);
      for (const [method, path, body] of [['GET', '/ollama/api/tags', undefined], ['POST', '/ollama/api/chat', { model: 'llama3.2', messages: [] }]] as const) {
        const res = await call(path, { key: own.key, method, body: body && JSON.stringify(body) });
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
        expect(await res.json()).toMatchObject({ code: 'ollama.no_service' });
      }
      expect(fakeRequests()).toEqual([]);
    });

    it('the tenant’s Ollama key does not open another plugin’s routes (403 auth.forbidden)', async () => {
      const res = await call('/metered/api/tags');
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'auth.forbidden' });
      expect(env.upstream.requests).toEqual([]);
    });

    it('another tenant’s key works for that tenant only: its own usage, not ours', async () => {
      const other = await env.tenant();
      const { credentials } = await env.provision(other.id, 'ollama');
      const before = await env.usage(tenant.id);
      const res = await call('/ollama/api/chat', { key: credentials.apiKey, method: 'POST', body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi there' }], stream: false }) });
      expect(res.status).toBe(200);
      await res.json();
      await waitForUsage(env, other.id, 'ollama.requests', '1');
      expect(await env.usage(tenant.id)).toEqual(before);
    });
  });

  describe('entitlements', () => {
    it('the pro tier opens the pro model once the plan includes it; requestsPerMinute becomes the key’s rate limit', async () => {
      const proTenant = await env.tenant();
      const { instance: proInstance, credentials } = await env.provision(proTenant.id, 'ollama');
      const chat = () =>
        fetch(`${env.url}/ollama/api/chat`, {
          method: 'POST',
          headers: { ...bearer(credentials.apiKey), 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'llama3.1:70b', messages: [{ role: 'user', content: 'big question' }], stream: false }),
        });
      const refused = await chat();
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { detail: string }).detail).toContain('Pro-Pack');

      await env.setEntitlements(proTenant.id, proInstance.id, { 'ollama.modelTiers': ['standard', 'pro'], 'ollama.requestsPerMinute': 3 });
      await waitFor('the pro tier reaches the gateway', async () => {
        const res = await chat();
        await res.text();
        return res.status === 200;
      }, 10_000, 100);
      await waitForUsage(env, proTenant.id, 'ollama.requests', '1');
      const tiers = await env.usage(proTenant.id, { groupBy: 'tier', meter: 'ollama.tokens.completion' });
      expect(Object.keys(tiers['ollama.tokens.completion'])).toEqual(['pro']);

      // 3 a minute: the bucket runs dry within a handful of requests
      let limited: Response | undefined;
      for (let i = 0; i < 10 && !limited; i++) {
        const res = await chat();
        if (res.status === 429) limited = res;
        else await res.text();
      }
      expect(limited).toBeDefined();
      expect(await limited!.json()).toMatchObject({ code: 'rate_limit.exceeded' });
    });
  });
});
