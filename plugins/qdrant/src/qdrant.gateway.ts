import type {
  ExtractedUsage,
  GatewayContribution,
  GatewayExchange,
  GatewayRefusal,
  GatewayRequest,
  GatewayResponseContext,
  GatewayRoute,
  GatewayTenant,
} from '@werkbank/plugin-sdk';
import { QUERIES_METER, type QdrantOptions } from './manifest';
import { fromUpstream, nameProblem, namespaceOf, scrubMessage, toUpstream } from './qdrant.namespace';

/** Collection metadata key the plugin keeps for itself: when the service's deprovisioning began. */
export const RESERVED_METADATA_KEY = 'werkbank_deprovisioned_at';

type Json = Record<string, unknown>;
type Metering = 'one' | 'batch';
/** Where a request body names collections (or aliases), so they are moved into the namespace. */
type BodyNames = 'lookups' | 'aliases' | 'metadata';

interface TenantRouteSpec {
  method: GatewayRoute['method'];
  path: string;
  /** names in the body to map; such a route needs a JSON object body */
  body?: BodyNames;
  meter?: Metering;
  /** the answer lists collections or aliases: filter and rename */
  lists?: 'collections' | 'aliases';
}

const COLLECTION = '/collections/:name';

/**
 * Everything a tenant may call. Paths and bodies that name collections are moved into the
 * tenant's namespace; whatever is not listed (snapshots, shards, cluster, telemetry, new
 * endpoints of a later Qdrant) is not served to tenants.
 */
const TENANT_ROUTES: TenantRouteSpec[] = [
  { method: 'GET', path: '/collections', lists: 'collections' },
  { method: 'GET', path: '/aliases', lists: 'aliases' },
  { method: 'POST', path: '/collections/aliases', body: 'aliases' },
  { method: 'GET', path: COLLECTION },
  { method: 'PUT', path: COLLECTION, body: 'metadata' },
  { method: 'PATCH', path: COLLECTION, body: 'metadata' },
  { method: 'DELETE', path: COLLECTION },
  { method: 'GET', path: `${COLLECTION}/exists` },
  { method: 'GET', path: `${COLLECTION}/aliases`, lists: 'aliases' },
  { method: 'PUT', path: `${COLLECTION}/index` },
  { method: 'DELETE', path: `${COLLECTION}/index/:field` },
  { method: 'PUT', path: `${COLLECTION}/vectors/:vector` },
  { method: 'DELETE', path: `${COLLECTION}/vectors/:vector` },
  { method: 'GET', path: `${COLLECTION}/optimizations` },
  // points: reading and writing
  { method: 'GET', path: `${COLLECTION}/points/:id` },
  { method: 'POST', path: `${COLLECTION}/points` },
  { method: 'PUT', path: `${COLLECTION}/points` },
  { method: 'POST', path: `${COLLECTION}/points/delete` },
  { method: 'PUT', path: `${COLLECTION}/points/vectors` },
  { method: 'POST', path: `${COLLECTION}/points/vectors/delete` },
  { method: 'POST', path: `${COLLECTION}/points/payload` },
  { method: 'PUT', path: `${COLLECTION}/points/payload` },
  { method: 'POST', path: `${COLLECTION}/points/payload/delete` },
  { method: 'POST', path: `${COLLECTION}/points/payload/clear` },
  { method: 'POST', path: `${COLLECTION}/points/batch` },
  // points: queries (metered)
  { method: 'POST', path: `${COLLECTION}/points/scroll`, meter: 'one' },
  { method: 'POST', path: `${COLLECTION}/points/count`, meter: 'one' },
  { method: 'POST', path: `${COLLECTION}/facet`, meter: 'one' },
  { method: 'POST', path: `${COLLECTION}/points/query`, meter: 'one', body: 'lookups' },
  { method: 'POST', path: `${COLLECTION}/points/query/batch`, meter: 'batch', body: 'lookups' },
  { method: 'POST', path: `${COLLECTION}/points/query/groups`, meter: 'one', body: 'lookups' },
  { method: 'POST', path: `${COLLECTION}/points/search/matrix/pairs`, meter: 'one' },
  { method: 'POST', path: `${COLLECTION}/points/search/matrix/offsets`, meter: 'one' },
  // the search, recommend and discover endpoints of Qdrant before 1.19 (still in @qdrant/js-client-rest 1.18)
  { method: 'POST', path: `${COLLECTION}/points/search`, meter: 'one' },
  { method: 'POST', path: `${COLLECTION}/points/search/batch`, meter: 'batch' },
  { method: 'POST', path: `${COLLECTION}/points/search/groups`, meter: 'one', body: 'lookups' },
  { method: 'POST', path: `${COLLECTION}/points/recommend`, meter: 'one', body: 'lookups' },
  { method: 'POST', path: `${COLLECTION}/points/recommend/batch`, meter: 'batch', body: 'lookups' },
  { method: 'POST', path: `${COLLECTION}/points/recommend/groups`, meter: 'one', body: 'lookups' },
  { method: 'POST', path: `${COLLECTION}/points/discover`, meter: 'one', body: 'lookups' },
  { method: 'POST', path: `${COLLECTION}/points/discover/batch`, meter: 'batch', body: 'lookups' },
];

/** Served to every key as they are: they name no collection. GET / is what clients check their version against. */
const PUBLIC_PATHS = ['/', '/healthz', '/livez', '/readyz'];

/**
 * The operator's maintenance paths, passed through unchanged (real collection names) to keys of
 * the operator tenant; tenants get 403 `gateway.operator_only`.
 */
const OPERATOR_PATHS = [
  '/telemetry', '/metrics', '/issues', '/quotas',
  '/cluster', '/cluster/telemetry', '/cluster/recover', '/cluster/peer/:peer',
  '/snapshots', '/snapshots/:snapshot',
  `${COLLECTION}/cluster`,
  `${COLLECTION}/shards`, `${COLLECTION}/shards/delete`,
  `${COLLECTION}/snapshots`, `${COLLECTION}/snapshots/upload`, `${COLLECTION}/snapshots/recover`, `${COLLECTION}/snapshots/:snapshot`,
  `${COLLECTION}/shards/:shard/snapshot`, `${COLLECTION}/shards/:shard/snapshots`, `${COLLECTION}/shards/:shard/snapshots/upload`,
  `${COLLECTION}/shards/:shard/snapshots/recover`, `${COLLECTION}/shards/:shard/snapshots/:snapshot`,
];

export function qdrantRoutes(): GatewayRoute[] {
  return [
    ...PUBLIC_PATHS.map((path): GatewayRoute => ({ method: 'GET', path, access: 'tenant' })),
    ...TENANT_ROUTES.map(tenantRoute),
    ...OPERATOR_PATHS.map((path): GatewayRoute => ({ method: '*', path, access: 'operator' })),
  ];
}

export const qdrantGateway: GatewayContribution<QdrantOptions> = {
  upstreams: (options) => [options.url],
  routes: qdrantRoutes(),
  upstreamHeaders: (options) => ({ 'api-key': options.apiKey }),
};

function tenantRoute(spec: TenantRouteSpec): GatewayRoute {
  const named = spec.path.startsWith(`${COLLECTION}`);
  const route: GatewayRoute = {
    method: spec.method,
    path: spec.path,
    access: 'tenant',
    authorize: (request, tenant) => authorize(spec, named, request, tenant),
    rewriteResponse: (body, context) => rewriteResponse(spec, body, context),
  };
  if (named) route.rewritePath = (path, tenant) => mapPath(path, namespace(tenant));
  if (spec.body) {
    const names = spec.body;
    route.rewriteRequest = (body, tenant) => rewriteBody(names, body, namespace(tenant));
  }
  if (spec.meter) {
    const metering = spec.meter;
    route.extractUsage = (exchange) => queriesOf(metering, exchange);
  }
  return route;
}

/** The tenant's namespace; authorize refused keys without an instance before this is reached. */
function namespace(tenant: GatewayTenant): string {
  if (!tenant.instanceId) throw new Error('qdrant: a request without a service instance reached a namespaced route');
  return namespaceOf(tenant.slug, tenant.instanceId);
}

function authorize(spec: TenantRouteSpec, named: boolean, request: GatewayRequest, tenant: GatewayTenant): GatewayRefusal | undefined {
  if (!tenant.instanceId) {
    return { status: 403, code: 'qdrant.no_service', detail: "This key belongs to no Qdrant service. Use the apiKey from your Qdrant service's credentials (POST /v1/tenants/:id/services to request one)." };
  }
  const ns = namespaceOf(tenant.slug, tenant.instanceId);
  if (named) {
    const name = collectionSegment(request.path);
    const problem = name === undefined ? 'the collection name is not valid percent-encoding' : nameProblem(name, ns);
    if (problem) return { status: 400, code: 'qdrant.invalid_collection_name', detail: `${problem}; rename the collection.` };
  }
  if (spec.body) {
    if (!isObject(request.body)) {
      return { status: 400, code: 'qdrant.json_required', detail: 'Send the request body as a JSON object with content-type application/json.' };
    }
    const problem = bodyNameProblem(spec.body, request.body, ns);
    if (problem) return { status: 400, code: 'qdrant.invalid_collection_name', detail: `${problem}; rename the collection or alias.` };
  }
  return undefined;
}

/** `/collections/<name>/...` -> `/collections/<namespace + name>/...` (percent-encoded as a segment). */
export function mapPath(path: string, ns: string): string {
  const segments = path.split('/');
  const name = decodeSegment(segments[2] ?? '');
  if (name === undefined) return path;
  segments[2] = encodeURIComponent(toUpstream(ns, name));
  return segments.join('/');
}

function collectionSegment(path: string): string | undefined {
  return decodeSegment(path.split('/')[2] ?? '');
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

// ---- request bodies ----------------------------------------------------------------------------

/** Moves every collection and alias name a body carries into the namespace. */
export function rewriteBody(names: BodyNames, body: unknown, ns: string): unknown {
  if (!isObject(body)) return body;
  switch (names) {
    case 'aliases':
      return { ...body, actions: Array.isArray(body.actions) ? body.actions.map((action) => mapAliasAction(action, ns)) : body.actions };
    case 'metadata':
      return withoutReservedMetadata(body);
    case 'lookups':
      return mapLookups(body, ns);
  }
}

/** The reserved metadata key is the plugin's: a tenant can neither set nor clear it. */
function withoutReservedMetadata(body: Json): Json {
  if (!isObject(body.metadata) || !(RESERVED_METADATA_KEY in body.metadata)) return body;
  const { [RESERVED_METADATA_KEY]: _reserved, ...metadata } = body.metadata;
  return { ...body, metadata };
}

const ALIAS_FIELDS: Record<string, string[]> = {
  create_alias: ['collection_name', 'alias_name'],
  delete_alias: ['alias_name'],
  rename_alias: ['old_alias_name', 'new_alias_name'],
};

function mapAliasAction(action: unknown, ns: string): unknown {
  if (!isObject(action)) return action;
  const out: Json = { ...action };
  for (const [kind, fields] of Object.entries(ALIAS_FIELDS)) {
    const inner = action[kind];
    if (!isObject(inner)) continue;
    const mapped: Json = { ...inner };
    for (const field of fields) if (typeof inner[field] === 'string') mapped[field] = toUpstream(ns, inner[field]);
    out[kind] = mapped;
  }
  return out;
}

/**
 * Query-like bodies name collections in `lookup_from.collection` and `with_lookup` (a name or
 * `{collection}`), at the top, in every (nested) prefetch, and in each search of a batch.
 */
function mapLookups(body: Json, ns: string): Json {
  const out: Json = { ...body };
  if (isObject(body.lookup_from) && typeof body.lookup_from.collection === 'string') {
    out.lookup_from = { ...body.lookup_from, collection: toUpstream(ns, body.lookup_from.collection) };
  }
  if (typeof body.with_lookup === 'string') out.with_lookup = toUpstream(ns, body.with_lookup);
  else if (isObject(body.with_lookup) && typeof body.with_lookup.collection === 'string') {
    out.with_lookup = { ...body.with_lookup, collection: toUpstream(ns, body.with_lookup.collection) };
  }
  if (Array.isArray(body.prefetch)) out.prefetch = body.prefetch.map((p) => (isObject(p) ? mapLookups(p, ns) : p));
  else if (isObject(body.prefetch)) out.prefetch = mapLookups(body.prefetch, ns);
  if (Array.isArray(body.searches)) out.searches = body.searches.map((s) => (isObject(s) ? mapLookups(s, ns) : s));
  return out;
}

/** Names in a body that would make an invalid upstream name (checked before anything is forwarded). */
function bodyNameProblem(names: BodyNames, body: Json, ns: string): string | undefined {
  const found: string[] = [];
  if (names === 'aliases' && Array.isArray(body.actions)) {
    for (const action of body.actions) {
      if (!isObject(action)) continue;
      for (const [kind, fields] of Object.entries(ALIAS_FIELDS)) {
        const inner = action[kind];
        if (isObject(inner)) for (const field of fields) if (typeof inner[field] === 'string') found.push(inner[field]);
      }
    }
  }
  if (names === 'lookups') collectLookupNames(body, found);
  for (const name of found) {
    const problem = nameProblem(name, ns);
    if (problem) return problem;
  }
  return undefined;
}

function collectLookupNames(body: Json, found: string[]): void {
  if (isObject(body.lookup_from) && typeof body.lookup_from.collection === 'string') found.push(body.lookup_from.collection);
  if (typeof body.with_lookup === 'string') found.push(body.with_lookup);
  else if (isObject(body.with_lookup) && typeof body.with_lookup.collection === 'string') found.push(body.with_lookup.collection);
  const nested = [...(Array.isArray(body.prefetch) ? body.prefetch : [body.prefetch]), ...(Array.isArray(body.searches) ? body.searches : [])];
  for (const inner of nested) if (isObject(inner)) collectLookupNames(inner, found);
}

// ---- responses ---------------------------------------------------------------------------------

/**
 * Keeps Qdrant's envelope (`result`, `status`, `time`, `usage`) and changes only names: listings
 * show the tenant's own collections and aliases under its own names, and error messages lose the
 * namespace (and anything of another namespace).
 */
export function rewriteResponse(spec: TenantRouteSpec, body: unknown, context: GatewayResponseContext): unknown {
  if (!isObject(body) || !context.tenant.instanceId) return body;
  const ns = namespaceOf(context.tenant.slug, context.tenant.instanceId);
  if (isObject(body.status) && typeof body.status.error === 'string') {
    return { ...body, status: { ...body.status, error: scrubMessage(body.status.error, ns) } };
  }
  if (context.status !== 200 || !isObject(body.result)) return body;
  if (spec.lists === 'collections' && Array.isArray(body.result.collections)) {
    const collections = body.result.collections.flatMap((c: unknown) => {
      const name = isObject(c) && typeof c.name === 'string' ? fromUpstream(ns, c.name) : undefined;
      return name === undefined ? [] : [{ ...(c as Json), name }];
    });
    return { ...body, result: { ...body.result, collections } };
  }
  if (spec.lists === 'aliases' && Array.isArray(body.result.aliases)) {
    const aliases = body.result.aliases.flatMap((a: unknown) => {
      if (!isObject(a) || typeof a.alias_name !== 'string' || typeof a.collection_name !== 'string') return [];
      const alias = fromUpstream(ns, a.alias_name);
      const collection = fromUpstream(ns, a.collection_name);
      return alias === undefined || collection === undefined ? [] : [{ ...a, alias_name: alias, collection_name: collection }];
    });
    return { ...body, result: { ...body.result, aliases } };
  }
  return body;
}

// ---- metering ----------------------------------------------------------------------------------

/** One query per successful answer; a batch counts each of its searches (one result list each). */
export function queriesOf(metering: Metering, exchange: GatewayExchange): ExtractedUsage[] {
  if (exchange.status < 200 || exchange.status >= 300) return [];
  let count = 1;
  if (metering === 'batch') {
    const answer = exchange.responseMessages[0];
    const request = exchange.requestBody;
    if (isObject(answer) && Array.isArray(answer.result)) count = answer.result.length;
    else if (isObject(request) && Array.isArray(request.searches)) count = request.searches.length;
    else return [];
  }
  return count > 0 ? [{ meter: QUERIES_METER, quantity: String(count) }] : [];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
