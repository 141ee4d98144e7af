import type { GatewayContribution, GatewayRefusal, GatewayRequest, GatewayRoute, GatewayTenant } from '@werkbank/plugin-sdk';
import { ENTITLEMENTS, type OllamaOptions } from './manifest';
import { allowedTiers, ModelTiers } from './ollama.models';
import { extractUsage, type UsageFormat } from './ollama.usage';

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Where tenants see what they may use (named in refusals). */
const LISTS = 'GET /ollama/api/tags or /ollama/v1/models lists the models you can use';

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The model names a request body asks for: `model`, and the older `name` that Ollama still reads on some routes. */
function requestedModels(body: unknown): string[] {
  if (!isObject(body)) return [];
  return [body.model, body.name].filter((v): v is string => typeof v === 'string' && v.trim() !== '');
}

/** Refuses a model the tenant's tiers do not include, with what to do about it. */
export function modelRefusal(tiers: ModelTiers, model: string, tenant: GatewayTenant): GatewayRefusal | undefined {
  if (tiers.allows(model, tenant)) return undefined;
  const { model: short, tier } = tiers.info(model);
  if (tier === undefined) {
    return { status: 403, code: 'ollama.model_not_allowed', detail: `The model "${model}" is not offered on this service. ${LISTS}.` };
  }
  const allowed = allowedTiers(tenant.entitlements);
  const have = allowed.length ? `your plan includes the ${allowed.join(' and ')} tier${allowed.length > 1 ? 's' : ''}` : 'your plan includes no model tier';
  const upgrade = tier === 'pro' ? ' The pro tier comes with the Pro-Pack.' : ' Ask your administrator to add it to your plan.';
  return { status: 403, code: 'ollama.model_not_allowed', detail: `The model "${short}" is in the ${tier} tier; ${have}.${upgrade} ${LISTS}.` };
}

/**
 * Tenants call with the key of their Ollama service: suspension, deprovisioning and the plan's
 * entitlements are the service's. Another key with the scope `gateway:ollama` (one a tenant made
 * itself) belongs to no service and would escape all three. The operator's keys need none.
 */
export function serviceRefusal(tenant: GatewayTenant): GatewayRefusal | undefined {
  if (tenant.kind === 'operator' || tenant.instanceId) return undefined;
  return {
    status: 403,
    code: 'ollama.no_service',
    detail: 'This key belongs to no Ollama service. Use the key in the credentials of your Ollama service (POST /v1/tenants/{id}/services {"plugin": "ollama"} provisions one).',
  };
}

/** authorize for routes whose JSON body names the model. */
function authorizeBodyModel(tiers: ModelTiers) {
  return (request: GatewayRequest, tenant: GatewayTenant): GatewayRefusal | undefined => {
    const noService = serviceRefusal(tenant);
    if (noService) return noService;
    const models = requestedModels(request.body);
    if (!models.length) {
      return {
        status: 400,
        code: 'ollama.model_required',
        detail: 'Name the model in a JSON body sent with `Content-Type: application/json`, e.g. {"model": "llama3.2", ...}.',
      };
    }
    for (const model of models) {
      const refusal = modelRefusal(tiers, model, tenant);
      if (refusal) return refusal;
    }
    return undefined;
  };
}

/** OpenAI streaming: Ollama sends the usage chunk only when asked; the gateway always asks. */
export function askForUsage(body: unknown): unknown {
  if (!isObject(body) || body.stream !== true) return body;
  const options = isObject(body.stream_options) ? body.stream_options : {};
  if (options.include_usage === true) return body;
  return { ...body, stream_options: { ...options, include_usage: true } };
}

/** Drops the usage chunk (no choices, with `usage`) unless the client asked for it itself. */
export function keepForClient(message: unknown, requestBody: unknown): boolean {
  const asked = isObject(requestBody) && isObject(requestBody.stream_options) && requestBody.stream_options.include_usage === true;
  if (asked || !isObject(message)) return true;
  return !(Array.isArray(message.choices) && message.choices.length === 0 && isObject(message.usage));
}

/** /api/tags: only the models the tenant may use. */
export function filterTags(tiers: ModelTiers, body: unknown, tenant: GatewayTenant): unknown {
  if (!isObject(body) || !Array.isArray(body.models)) return body;
  return {
    ...body,
    models: body.models.filter((m) => {
      const name = isObject(m) ? (typeof m.name === 'string' ? m.name : m.model) : undefined;
      return typeof name === 'string' && tiers.allows(name, tenant);
    }),
  };
}

/** /v1/models: only the models the tenant may use. */
export function filterOpenAiModels(tiers: ModelTiers, body: unknown, tenant: GatewayTenant): unknown {
  if (!isObject(body) || !Array.isArray(body.data)) return body;
  return { ...body, data: body.data.filter((m) => isObject(m) && typeof m.id === 'string' && tiers.allows(m.id, tenant)) };
}

/** The gateway routes under /ollama/, built once from the operator's tier map. */
export function ollamaRoutes(options: OllamaOptions): GatewayRoute[] {
  const tiers = new ModelTiers(options);
  const authorize = authorizeBodyModel(tiers);
  const metered = (format: UsageFormat): Pick<GatewayRoute, 'authorize' | 'extractUsage'> => ({
    authorize,
    extractUsage: (exchange) => extractUsage(format, exchange, tiers),
  });
  const openAiStreaming: Pick<GatewayRoute, 'streaming' | 'rewriteRequest' | 'filterResponseMessage'> = {
    streaming: 'sse',
    rewriteRequest: askForUsage,
    filterResponseMessage: keepForClient,
  };
  const operator = (method: GatewayRoute['method'], path: string, streaming?: GatewayRoute['streaming']): GatewayRoute => ({
    method,
    path,
    access: 'operator',
    ...(streaming ? { streaming } : {}),
  });

  return [
    // native API
    { method: 'POST', path: '/api/chat', access: 'tenant', streaming: 'ndjson', ...metered('native') },
    { method: 'POST', path: '/api/generate', access: 'tenant', streaming: 'ndjson', ...metered('native') },
    { method: 'POST', path: '/api/embed', access: 'tenant', ...metered('native-embed') },
    { method: 'POST', path: '/api/embeddings', access: 'tenant', ...metered('native-embeddings') },
    {
      method: 'GET',
      path: '/api/tags',
      access: 'tenant',
      authorize: (_request, tenant) => serviceRefusal(tenant),
      rewriteResponse: (body, { tenant, status }) => (status === 200 ? filterTags(tiers, body, tenant) : body),
    },
    { method: 'POST', path: '/api/show', access: 'tenant', authorize },
    { method: 'GET', path: '/api/version', access: 'tenant', authorize: (_request, tenant) => serviceRefusal(tenant) },
    // OpenAI-compatible API
    { method: 'POST', path: '/v1/chat/completions', access: 'tenant', ...openAiStreaming, ...metered('openai') },
    { method: 'POST', path: '/v1/completions', access: 'tenant', ...openAiStreaming, ...metered('openai') },
    { method: 'POST', path: '/v1/embeddings', access: 'tenant', ...metered('openai') },
    {
      method: 'GET',
      path: '/v1/models',
      access: 'tenant',
      authorize: (_request, tenant) => serviceRefusal(tenant),
      rewriteResponse: (body, { tenant, status }) => (status === 200 ? filterOpenAiModels(tiers, body, tenant) : body),
    },
    {
      method: 'GET',
      path: '/v1/models/:model',
      access: 'tenant',
      authorize: (request, tenant) => serviceRefusal(tenant) ?? modelRefusal(tiers, decodeSegment(request.path.slice('/v1/models/'.length)), tenant),
    },
    // model management and the pool's state: the operator's (with an operator key), never a tenant's
    operator('POST', '/api/pull', 'ndjson'),
    operator('POST', '/api/push', 'ndjson'),
    operator('POST', '/api/create', 'ndjson'),
    operator('POST', '/api/copy'),
    operator('DELETE', '/api/delete'),
    operator('GET', '/api/blobs/:digest'),
    operator('POST', '/api/blobs/:digest'),
    operator('GET', '/api/ps'),
  ];
}

/** The per-key rate limit from `ollama.requestsPerMinute`; without a value the gateway's default applies. */
export function rateLimit(tenant: GatewayTenant): { requestsPerMinute: number } | undefined {
  const value = tenant.entitlements[ENTITLEMENTS.requestsPerMinute];
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? { requestsPerMinute: value } : undefined;
}

export const ollamaGateway: GatewayContribution<OllamaOptions> = {
  upstreams: (options) => options.upstreams,
  routes: ollamaRoutes,
  rateLimit,
};
