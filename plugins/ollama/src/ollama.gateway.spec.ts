import type { GatewayExchange, GatewayRoute, GatewayTenant } from '@werkbank/plugin-sdk';
import plugin from './index';
import type { OllamaOptions } from './manifest';
import { askForUsage, keepForClient, ollamaRoutes, rateLimit } from './ollama.gateway';
import { canonicalModel } from './ollama.models';
import { millisecondsToSeconds, nanosecondsToSeconds } from './ollama.usage';

const options: OllamaOptions = {
  upstreams: ['http://gpu-1:11434', 'http://gpu-2:11434'],
  gatewayUrl: 'https://gateway.example.com',
  models: { 'llama3.2': 'standard', 'llama3.1:70b': 'pro', 'all-minilm': 'standard' },
};

const tenant = (entitlements: GatewayTenant['entitlements'] = {}, kind: GatewayTenant['kind'] = 'organization'): GatewayTenant => ({
  tenantId: 't-1',
  slug: 'acme',
  kind,
  instanceId: 'i-1',
  entitlements,
});
const standard = tenant({ 'ollama.modelTiers': ['standard'] });
const pro = tenant({ 'ollama.modelTiers': ['standard', 'pro'] });

function route(method: string, path: string, opts: OllamaOptions = options): GatewayRoute {
  const found = ollamaRoutes(opts).find((r) => r.method === method && r.path === path);
  if (!found) throw new Error(`no route ${method} ${path}`);
  return found;
}

const authorize = (method: string, path: string, body: unknown, who: GatewayTenant, opts?: OllamaOptions) =>
  route(method, path, opts).authorize!({ method, path, query: {}, body }, who);

function exchange(path: string, fields: Partial<GatewayExchange>): GatewayExchange {
  return {
    method: 'POST',
    path,
    query: {},
    requestHeaders: {},
    status: 200,
    responseHeaders: {},
    responseMessages: [],
    upstreamMs: 0,
    tenantId: 't-1',
    requestId: 'r-1',
    tenant: standard,
    ...fields,
  };
}

describe('model names', () => {
  it.each([
    ['llama3.2', 'llama3.2:latest'],
    ['llama3.2:latest', 'llama3.2:latest'],
    ['LLAMA3.2', 'llama3.2:latest'],
    ['library/llama3.2', 'llama3.2:latest'],
    ['registry.ollama.ai/library/llama3.2:latest', 'llama3.2:latest'],
    ['mattw/pygmalion', 'mattw/pygmalion:latest'],
    ['localhost:5000/team/model', 'localhost:5000/team/model:latest'],
  ])('resolves %s as Ollama does, to %s', (name, short) => {
    expect(canonicalModel(name).short).toBe(short);
  });
});

describe('authorize: models of the tenant’s tiers only', () => {
  it('lets a standard tenant use a standard model, however it is spelled', () => {
    for (const model of ['llama3.2', 'llama3.2:latest', 'library/llama3.2']) {
      expect(authorize('POST', '/api/chat', { model }, standard)).toBeUndefined();
    }
  });

  it('refuses a pro model to a standard tenant with 403 ollama.model_not_allowed, naming the tier and the Pro-Pack', () => {
    for (const model of ['llama3.1:70b', 'registry.ollama.ai/library/LLAMA3.1:70b']) {
      const refusal = authorize('POST', '/api/generate', { model, prompt: 'hi' }, standard);
      expect(refusal).toMatchObject({ status: 403, code: 'ollama.model_not_allowed' });
      expect(refusal!.detail).toContain('"llama3.1:70b" is in the pro tier');
      expect(refusal!.detail).toContain('Pro-Pack');
      expect(refusal!.detail).toContain('/ollama/api/tags');
    }
  });

  it('lets a tenant with the pro tier use the pro model', () => {
    expect(authorize('POST', '/v1/chat/completions', { model: 'llama3.1:70b', messages: [] }, pro)).toBeUndefined();
  });

  it('applies the declared default (standard only) when the instance has no modelTiers entitlement', () => {
    expect(authorize('POST', '/api/chat', { model: 'llama3.2' }, tenant())).toBeUndefined();
    expect(authorize('POST', '/api/chat', { model: 'llama3.1:70b' }, tenant())).toMatchObject({ code: 'ollama.model_not_allowed' });
  });

  it('refuses models missing from the tier map by default, and counts them as the configured tier otherwise', () => {
    expect(authorize('POST', '/api/embed', { model: 'mistral' }, pro)).toMatchObject({ status: 403, code: 'ollama.model_not_allowed', detail: expect.stringContaining('not offered') });
    const lenient = { ...options, unlistedModels: 'standard' as const };
    expect(authorize('POST', '/api/embed', { model: 'mistral' }, standard, lenient)).toBeUndefined();
    expect(authorize('POST', '/api/embed', { model: 'mistral' }, standard, { ...options, unlistedModels: 'pro' })).toMatchObject({ code: 'ollama.model_not_allowed' });
  });

  it('lets the operator use every model, also unlisted ones', () => {
    const operator = tenant({}, 'operator');
    expect(authorize('POST', '/api/chat', { model: 'llama3.1:70b' }, operator)).toBeUndefined();
    expect(authorize('POST', '/api/chat', { model: 'mistral' }, operator)).toBeUndefined();
  });

  it('checks the older `name` field too, so it cannot smuggle in another model', () => {
    expect(authorize('POST', '/api/show', { name: 'llama3.1:70b' }, standard)).toMatchObject({ code: 'ollama.model_not_allowed' });
    expect(authorize('POST', '/api/show', { model: 'llama3.2', name: 'llama3.1:70b' }, standard)).toMatchObject({ code: 'ollama.model_not_allowed' });
  });

  it('refuses a body without a model (or not read as JSON) with 400 ollama.model_required', () => {
    for (const body of [undefined, {}, { model: '' }, 'text', { model: 42 }]) {
      expect(authorize('POST', '/api/chat', body, standard)).toMatchObject({ status: 400, code: 'ollama.model_required', detail: expect.stringContaining('application/json') });
    }
  });

  it('refuses a key that belongs to no Ollama service (403 ollama.no_service) on every tenant route; the operator needs none', () => {
    const { instanceId: _none, ...serviceless } = standard;
    const operator = tenant({}, 'operator');
    delete (operator as Partial<GatewayTenant>).instanceId;
    for (const r of ollamaRoutes(options).filter((x) => x.access === 'tenant')) {
      const request = { method: r.method, path: r.path.replace(':model', 'llama3.2'), query: {}, body: { model: 'llama3.2' } };
      expect({ route: r.path, code: r.authorize?.(request, serviceless)?.code }).toEqual({ route: r.path, code: 'ollama.no_service' });
      expect({ route: r.path, refusal: r.authorize?.(request, operator) }).toEqual({ route: r.path, refusal: undefined });
      expect({ route: r.path, refusal: r.authorize?.(request, standard) }).toEqual({ route: r.path, refusal: undefined });
    }
  });

  it('refuses GET /v1/models/:model for a model outside the tiers', () => {
    const r = route('GET', '/v1/models/:model');
    expect(r.authorize!({ method: 'GET', path: '/v1/models/llama3.2', query: {} }, standard)).toBeUndefined();
    expect(r.authorize!({ method: 'GET', path: '/v1/models/llama3.1%3A70b', query: {} }, standard)).toMatchObject({ code: 'ollama.model_not_allowed' });
  });

  it('guards every inference route and /api/show with the model check', () => {
    for (const path of ['/api/chat', '/api/generate', '/api/embed', '/api/embeddings', '/api/show', '/v1/chat/completions', '/v1/completions', '/v1/embeddings']) {
      expect({ path, refusal: authorize('POST', path, { model: 'llama3.1:70b' }, standard)?.code }).toEqual({ path, refusal: 'ollama.model_not_allowed' });
    }
  });
});

describe('listings filtered to the tenant’s models', () => {
  const tags = {
    models: [
      { name: 'llama3.2:latest', model: 'llama3.2:latest', size: 1 },
      { name: 'llama3.1:70b', model: 'llama3.1:70b', size: 2 },
      { name: 'mistral:latest', model: 'mistral:latest', size: 3 },
    ],
  };
  const context = (who: GatewayTenant, status = 200) => ({ request: { method: 'GET', path: '/api/tags', query: {} }, tenant: who, status });

  it('GET /api/tags lists only models of the tenant’s tiers (never unlisted ones)', () => {
    const rewrite = route('GET', '/api/tags').rewriteResponse!;
    expect(rewrite(tags, context(standard))).toEqual({ models: [tags.models[0]] });
    expect(rewrite(tags, context(pro))).toEqual({ models: [tags.models[0], tags.models[1]] });
    expect(rewrite(tags, context(tenant({}, 'operator')))).toEqual(tags);
  });

  it('GET /v1/models lists only models of the tenant’s tiers, keeping the envelope', () => {
    const models = { object: 'list', data: tags.models.map((m) => ({ id: m.name, object: 'model', created: 1, owned_by: 'library' })) };
    expect(route('GET', '/v1/models').rewriteResponse!(models, context(standard))).toEqual({ object: 'list', data: [models.data[0]] });
  });

  it('passes error answers through unchanged', () => {
    const error = { error: 'something broke' };
    expect(route('GET', '/api/tags').rewriteResponse!(error, context(standard, 500))).toBe(error);
  });
});

describe('OpenAI streaming: usage asked for and hidden again', () => {
  it('asks upstream for the usage chunk when the client streams without include_usage, keeping its other stream_options', () => {
    expect(askForUsage({ model: 'm', stream: true })).toEqual({ model: 'm', stream: true, stream_options: { include_usage: true } });
    expect(askForUsage({ model: 'm', stream: true, stream_options: { include_usage: false, other: 1 } })).toEqual({ model: 'm', stream: true, stream_options: { include_usage: true, other: 1 } });
  });

  it('leaves the body alone when the client asked itself or does not stream', () => {
    const asked = { model: 'm', stream: true, stream_options: { include_usage: true } };
    expect(askForUsage(asked)).toBe(asked);
    const plain = { model: 'm', messages: [] };
    expect(askForUsage(plain)).toBe(plain);
    expect(askForUsage({ model: 'm', stream: false })).toEqual({ model: 'm', stream: false });
  });

  it('uses these hooks on both streaming OpenAI routes', () => {
    for (const path of ['/v1/chat/completions', '/v1/completions']) {
      const r = route('POST', path);
      expect({ path, rewrite: r.rewriteRequest, filter: r.filterResponseMessage, streaming: r.streaming }).toEqual({ path, rewrite: askForUsage, filter: keepForClient, streaming: 'sse' });
    }
  });

  const usageChunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } };
  const contentChunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] };

  it('drops the usage chunk the client did not ask for, and keeps every other chunk', () => {
    expect(keepForClient(usageChunk, { stream: true })).toBe(false);
    expect(keepForClient(usageChunk, { stream: true, stream_options: { include_usage: false } })).toBe(false);
    expect(keepForClient(contentChunk, { stream: true })).toBe(true);
  });

  it('keeps the usage chunk for a client that asked for it', () => {
    expect(keepForClient(usageChunk, { stream: true, stream_options: { include_usage: true } })).toBe(true);
  });
});

describe('extractUsage', () => {
  const extract = (path: string, fields: Partial<GatewayExchange>) => route('POST', path).extractUsage!(exchange(path, fields));
  const final = { model: 'llama3.2', done: true, total_duration: 10706818083, load_duration: 6338219291, prompt_eval_count: 26, prompt_eval_duration: 130079000, eval_count: 259, eval_duration: 4232710000 };

  it('native stream: tokens and exact GPU seconds from the final message, one request, dimensions model and tier', () => {
    const usage = extract('/api/chat', { requestBody: { model: 'llama3.2' }, responseMessages: [{ model: 'llama3.2', done: false, message: { content: 'The' } }, final], upstreamMs: 99 });
    expect(usage).toEqual([
      { meter: 'ollama.requests', quantity: '1', properties: { model: 'llama3.2:latest' } },
      { meter: 'ollama.tokens.prompt', quantity: '26', properties: { model: 'llama3.2:latest', tier: 'standard' } },
      { meter: 'ollama.tokens.completion', quantity: '259', properties: { model: 'llama3.2:latest', tier: 'standard' } },
      { meter: 'ollama.gpu_seconds', quantity: '10.706818083', properties: { model: 'llama3.2:latest' } },
    ]);
  });

  it('native: records no prompt tokens when Ollama omits prompt_eval_count (zero), and nothing of a field that is absent', () => {
    const { prompt_eval_count: _p, prompt_eval_duration: _d, ...cached } = final;
    const usage = extract('/api/generate', { requestBody: { model: 'llama3.1:70b' }, responseMessages: [cached] });
    expect(usage.map((u) => u.meter)).toEqual(['ollama.requests', 'ollama.tokens.completion', 'ollama.gpu_seconds']);
    expect(usage[1]).toEqual({ meter: 'ollama.tokens.completion', quantity: '259', properties: { model: 'llama3.1:70b', tier: 'pro' } });
  });

  it('native: a load-only answer (no metrics at all) counts as a request and nothing else', () => {
    expect(extract('/api/generate', { requestBody: { model: 'llama3.2' }, responseMessages: [{ model: 'llama3.2', done: true, done_reason: 'load' }] })).toEqual([
      { meter: 'ollama.requests', quantity: '1', properties: { model: 'llama3.2:latest' } },
    ]);
  });

  it('native: a stream cut off before the final message bills the upstream time as GPU seconds', () => {
    const usage = extract('/api/chat', { requestBody: { model: 'llama3.2' }, responseMessages: [{ done: false }], upstreamMs: 1234.5678 });
    expect(usage).toEqual([
      { meter: 'ollama.requests', quantity: '1', properties: { model: 'llama3.2:latest' } },
      { meter: 'ollama.gpu_seconds', quantity: '1.234568', properties: { model: 'llama3.2:latest' } },
    ]);
  });

  it('records nothing for an answer that is not 2xx (no inference happened)', () => {
    expect(extract('/api/chat', { status: 404, requestBody: { model: 'llama3.2' }, responseMessages: [{ error: 'model not found' }] })).toEqual([]);
    expect(extract('/v1/chat/completions', { status: 500, requestBody: { model: 'llama3.2' }, upstreamMs: 10 })).toEqual([]);
  });

  it('/api/embed: prompt tokens from prompt_eval_count, GPU seconds from total_duration', () => {
    const usage = extract('/api/embed', { requestBody: { model: 'all-minilm', input: 'x' }, responseMessages: [{ model: 'all-minilm', embeddings: [[0.1]], total_duration: 14143917, load_duration: 1019500, prompt_eval_count: 8 }] });
    expect(usage).toEqual([
      { meter: 'ollama.requests', quantity: '1', properties: { model: 'all-minilm:latest' } },
      { meter: 'ollama.tokens.prompt', quantity: '8', properties: { model: 'all-minilm:latest', tier: 'standard' } },
      { meter: 'ollama.gpu_seconds', quantity: '0.014143917', properties: { model: 'all-minilm:latest' } },
    ]);
  });

  it('/api/embeddings (reports nothing): a request and the upstream time', () => {
    expect(extract('/api/embeddings', { requestBody: { model: 'all-minilm', prompt: 'x' }, responseMessages: [{ embedding: [0.5] }], upstreamMs: 2.5 })).toEqual([
      { meter: 'ollama.requests', quantity: '1', properties: { model: 'all-minilm:latest' } },
      { meter: 'ollama.gpu_seconds', quantity: '0.0025', properties: { model: 'all-minilm:latest' } },
    ]);
  });

  it('OpenAI: tokens from the usage chunk (also one the client never saw), GPU seconds from the upstream time', () => {
    const chunks = [
      { object: 'chat.completion.chunk', choices: [{ delta: { content: 'Hi' } }] },
      { object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 } },
    ];
    const usage = extract('/v1/chat/completions', { requestBody: { model: 'llama3.1:70b', stream: true }, responseMessages: chunks, upstreamMs: 312.25 });
    expect(usage).toEqual([
      { meter: 'ollama.requests', quantity: '1', properties: { model: 'llama3.1:70b' } },
      { meter: 'ollama.tokens.prompt', quantity: '11', properties: { model: 'llama3.1:70b', tier: 'pro' } },
      { meter: 'ollama.tokens.completion', quantity: '5', properties: { model: 'llama3.1:70b', tier: 'pro' } },
      { meter: 'ollama.gpu_seconds', quantity: '0.31225', properties: { model: 'llama3.1:70b' } },
    ]);
  });

  it('OpenAI without any usage in the answer: a request and the upstream time, no tokens', () => {
    const usage = extract('/v1/completions', { requestBody: { model: 'llama3.2', stream: true }, responseMessages: [{ choices: [{ text: 'a' }] }], upstreamMs: 1 });
    expect(usage.map((u) => u.meter)).toEqual(['ollama.requests', 'ollama.gpu_seconds']);
  });

  it('OpenAI embeddings: prompt tokens from usage.prompt_tokens', () => {
    const usage = extract('/v1/embeddings', { requestBody: { model: 'all-minilm', input: ['a b'] }, responseMessages: [{ object: 'list', data: [], usage: { prompt_tokens: 2, total_tokens: 2 } }], upstreamMs: 1 });
    expect(usage.filter((u) => u.meter.startsWith('ollama.tokens'))).toEqual([{ meter: 'ollama.tokens.prompt', quantity: '2', properties: { model: 'all-minilm:latest', tier: 'standard' } }]);
  });
});

describe('decimal seconds', () => {
  it.each([
    [0, '0'],
    [5, '0.000000005'],
    [1_000_000_000, '1'],
    [1_500_000_000, '1.5'],
    [10706818083, '10.706818083'],
    [123_456_789_012_345, '123456.789012345'],
  ])('%d ns = %s s exactly', (ns, seconds) => {
    expect(nanosecondsToSeconds(ns)).toBe(seconds);
  });

  it('measured milliseconds become seconds to the microsecond', () => {
    expect(millisecondsToSeconds(0.0004)).toBe('0');
    expect(millisecondsToSeconds(12.3456789)).toBe('0.012346');
  });
});

describe('gateway contribution', () => {
  it('spreads over every configured node', () => {
    expect(plugin.gateway!.upstreams(options)).toEqual(options.upstreams);
  });

  it('serves model management and the pool state to the operator only', () => {
    const routes = ollamaRoutes(options);
    const operatorOnly = routes.filter((r) => r.access === 'operator').map((r) => `${r.method} ${r.path}`);
    expect(operatorOnly).toEqual([
      'POST /api/pull',
      'POST /api/push',
      'POST /api/create',
      'POST /api/copy',
      'DELETE /api/delete',
      'GET /api/blobs/:digest',
      'POST /api/blobs/:digest',
      'GET /api/ps',
    ]);
    expect(routes.filter((r) => r.access === 'tenant').map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/chat',
      'POST /api/generate',
      'POST /api/embed',
      'POST /api/embeddings',
      'GET /api/tags',
      'POST /api/show',
      'GET /api/version',
      'POST /v1/chat/completions',
      'POST /v1/completions',
      'POST /v1/embeddings',
      'GET /v1/models',
      'GET /v1/models/:model',
    ]);
  });

  it('rate-limits per key from ollama.requestsPerMinute, and keeps the default without it', () => {
    expect(rateLimit(tenant({ 'ollama.requestsPerMinute': 120 }))).toEqual({ requestsPerMinute: 120 });
    expect(rateLimit(tenant())).toBeUndefined();
    expect(rateLimit(tenant({ 'ollama.requestsPerMinute': 0 }))).toBeUndefined();
  });
});
