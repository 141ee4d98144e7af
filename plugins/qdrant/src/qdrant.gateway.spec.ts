import type { GatewayExchange, GatewayRoute, GatewayTenant } from '@werkbank/plugin-sdk';
import { manifest } from './manifest';
import { mapPath, qdrantGateway, qdrantRoutes, RESERVED_METADATA_KEY } from './qdrant.gateway';
import { fromUpstream, MAX_UPSTREAM_NAME_LENGTH, namespaceOf, scrubMessage } from './qdrant.namespace';

const tenantA: GatewayTenant = { tenantId: 'a', slug: 't-00000000000a', kind: 'organization', instanceId: '0190aaaa-0000-7000-8000-aaaaaaaaaaaa', entitlements: {} };
const tenantB: GatewayTenant = { tenantId: 'b', slug: 't-00000000000b', kind: 'organization', instanceId: '0190bbbb-0000-7000-8000-bbbbbbbbbbbb', entitlements: {} };
const nsA = namespaceOf(tenantA.slug, tenantA.instanceId!);
const nsB = namespaceOf(tenantB.slug, tenantB.instanceId!);
const routes = qdrantRoutes();

/** The route the gateway would pick: first one matching method and path (`:x` one segment, `*` any method, HEAD as GET). */
function route(method: string, path: string): GatewayRoute | undefined {
  const segments = path.split('/');
  return routes.find((r) => {
    if (r.method !== '*' && r.method !== method) return false;
    const pattern = r.path.split('/');
    return pattern.length === segments.length && pattern.every((p, i) => p.startsWith(':') || p === segments[i]);
  });
}

function tenantRoute(method: string, path: string): GatewayRoute {
  const found = route(method, path);
  if (!found || found.access !== 'tenant') throw new Error(`no tenant route for ${method} ${path}`);
  return found;
}

const exchange = (over: Partial<GatewayExchange>): GatewayExchange => ({
  method: 'POST', path: '/collections/docs/points/query', query: {}, requestHeaders: {}, status: 200, responseHeaders: {},
  responseMessages: [], upstreamMs: 1, tenantId: 'a', requestId: 'r', tenant: tenantA, ...over,
});

describe('qdrant namespace', () => {
  it('gives every instance its own prefix of equal length, so no name of one reaches into another', () => {
    expect(nsA).toBe('t-00000000000a_aaaaaaaaaaaa__');
    expect(nsA).not.toBe(nsB);
    expect(nsA.length).toBe(nsB.length);
    expect(namespaceOf(tenantA.slug, '0190cccc-0000-7000-8000-cccccccccccc')).not.toBe(nsA);
    expect(fromUpstream(nsA, `${nsB}docs`)).toBeUndefined();
    expect(fromUpstream(nsA, `${nsA}docs`)).toBe('docs');
    expect(fromUpstream(nsA, nsA)).toBeUndefined();
  });

  it('hides its own namespace and anybody else’s in error messages', () => {
    expect(scrubMessage(`Not found: Collection \`${nsA}docs\` doesn't exist!`, nsA)).toBe("Not found: Collection `docs` doesn't exist!");
    expect(scrubMessage(`Collection \`${nsB}secret\` is busy`, nsA)).toBe('Collection `<hidden>` is busy');
  });
});

describe('qdrant gateway routes', () => {
  it('sends the operator api-key upstream and nothing else of the options', () => {
    const options = { url: 'http://qdrant:6333', apiKey: 'operator-secret' };
    expect(qdrantGateway.upstreams(options)).toEqual(['http://qdrant:6333']);
    expect(qdrantGateway.upstreamHeaders!(options)).toEqual({ 'api-key': 'operator-secret' });
  });

  it.each([
    ['GET', '/snapshots'], ['POST', '/snapshots'], ['GET', '/collections/docs/snapshots'], ['POST', '/collections/docs/snapshots/upload'],
    ['PUT', '/collections/docs/snapshots/recover'], ['DELETE', '/collections/docs/snapshots/s1'], ['GET', '/collections/docs/shards/0/snapshots'],
    ['PUT', '/collections/docs/shards'], ['POST', '/collections/docs/shards/delete'], ['POST', '/collections/docs/cluster'],
    ['GET', '/cluster'], ['POST', '/cluster/recover'], ['DELETE', '/cluster/peer/7'], ['GET', '/telemetry'], ['GET', '/metrics'], ['GET', '/issues'], ['PUT', '/quotas'],
  ])('serves %s %s to the operator only', (method, path) => {
    expect(route(method, path)?.access).toBe('operator');
  });

  it.each([['POST', '/collections/docs/points/unknown'], ['GET', '/locks'], ['POST', '/locks'], ['DELETE', '/collections/docs/points/query/batch']])('does not serve %s %s at all', (method, path) => {
    expect(route(method, path)).toBeUndefined();
  });

  it('answers GET / and the health probes to every key, unchanged (the client checks its version there)', () => {
    for (const path of ['/', '/healthz', '/livez', '/readyz']) {
      const r = tenantRoute('GET', path);
      expect([r.rewritePath, r.rewriteResponse, r.authorize]).toEqual([undefined, undefined, undefined]);
    }
  });

  it('moves /collections/{name}/... into the tenant namespace, percent-encoded as one segment', () => {
    expect(tenantRoute('PUT', '/collections/docs').rewritePath!('/collections/docs', tenantA)).toBe(`/collections/${nsA}docs`);
    expect(tenantRoute('POST', '/collections/docs/points/query').rewritePath!('/collections/docs/points/query', tenantA)).toBe(`/collections/${nsA}docs/points/query`);
    expect(mapPath('/collections/my%20docs/points', nsA)).toBe(`/collections/${nsA}my%20docs/points`);
    expect(tenantRoute('DELETE', '/collections/docs').rewritePath!('/collections/docs', tenantB)).toBe(`/collections/${nsB}docs`);
  });

  it('refuses keys without a service instance, and names Qdrant would refuse or that would not fit', () => {
    const info = tenantRoute('GET', '/collections/docs');
    expect(info.authorize!({ method: 'GET', path: '/collections/docs', query: {} }, { ...tenantA, instanceId: undefined })).toMatchObject({ status: 403, code: 'qdrant.no_service' });
    expect(info.authorize!({ method: 'GET', path: '/collections/docs', query: {} }, tenantA)).toBeUndefined();
    expect(info.authorize!({ method: 'GET', path: '/collections/a%3Ab', query: {} }, tenantA)).toMatchObject({ status: 400, code: 'qdrant.invalid_collection_name' });
    expect(info.authorize!({ method: 'GET', path: '/collections/%E0%A4%A', query: {} }, tenantA)).toMatchObject({ status: 400, code: 'qdrant.invalid_collection_name' });
    const longest = 'x'.repeat(MAX_UPSTREAM_NAME_LENGTH - nsA.length);
    expect(info.authorize!({ method: 'GET', path: `/collections/${longest}`, query: {} }, tenantA)).toBeUndefined();
    expect(info.authorize!({ method: 'GET', path: `/collections/${longest}x`, query: {} }, tenantA)).toMatchObject({ code: 'qdrant.invalid_collection_name' });
  });

  it('refuses bodies that name collections unless they are a JSON object (they could not be rewritten)', () => {
    const query = tenantRoute('POST', '/collections/docs/points/query');
    expect(query.authorize!({ method: 'POST', path: '/collections/docs/points/query', query: {} }, tenantA)).toMatchObject({ status: 400, code: 'qdrant.json_required' });
    expect(query.authorize!({ method: 'POST', path: '/collections/docs/points/query', query: {}, body: [1] }, tenantA)).toMatchObject({ code: 'qdrant.json_required' });
    expect(query.authorize!({ method: 'POST', path: '/collections/docs/points/query', query: {}, body: { query: [1] } }, tenantA)).toBeUndefined();
    const bad = { query: { recommend: { positive: [1] } }, lookup_from: { collection: 'a/b' } };
    expect(query.authorize!({ method: 'POST', path: '/collections/docs/points/query', query: {}, body: bad }, tenantA)).toMatchObject({ code: 'qdrant.invalid_collection_name' });
  });

  it('moves lookup_from and with_lookup into the namespace: at the top, in nested prefetches and in every search of a batch', () => {
    const body = {
      prefetch: [{ query: 7, lookup_from: { collection: 'other', vector: 'v' }, prefetch: { query: 8, lookup_from: { collection: 'deep' } } }],
      query: { recommend: { positive: [1] } },
      lookup_from: { collection: 'other' },
      with_lookup: 'docs-meta',
    };
    expect(tenantRoute('POST', '/collections/docs/points/query/groups').rewriteRequest!(body, tenantA)).toEqual({
      prefetch: [{ query: 7, lookup_from: { collection: `${nsA}other`, vector: 'v' }, prefetch: { query: 8, lookup_from: { collection: `${nsA}deep` } } }],
      query: { recommend: { positive: [1] } },
      lookup_from: { collection: `${nsA}other` },
      with_lookup: `${nsA}docs-meta`,
    });
    const batch = { searches: [{ positive: [1], lookup_from: { collection: 'x' } }, { positive: [2], with_lookup: { collection: 'y', with_payload: true } }] };
    expect(tenantRoute('POST', '/collections/docs/points/recommend/batch').rewriteRequest!(batch, tenantB)).toEqual({
      searches: [{ positive: [1], lookup_from: { collection: `${nsB}x` } }, { positive: [2], with_lookup: { collection: `${nsB}y`, with_payload: true } }],
    });
  });

  it('moves every name of alias actions into the namespace', () => {
    const body = { actions: [
      { create_alias: { collection_name: 'docs', alias_name: 'current' } },
      { rename_alias: { old_alias_name: 'current', new_alias_name: 'live' } },
      { delete_alias: { alias_name: 'old' } },
    ] };
    expect(tenantRoute('POST', '/collections/aliases').rewriteRequest!(body, tenantA)).toEqual({ actions: [
      { create_alias: { collection_name: `${nsA}docs`, alias_name: `${nsA}current` } },
      { rename_alias: { old_alias_name: `${nsA}current`, new_alias_name: `${nsA}live` } },
      { delete_alias: { alias_name: `${nsA}old` } },
    ] });
  });

  it('keeps the reserved metadata key out of what tenants create or update', () => {
    const body = { vectors: { size: 4, distance: 'Dot' }, metadata: { team: 'x', [RESERVED_METADATA_KEY]: '2000-01-01T00:00:00Z' } };
    expect(tenantRoute('PUT', '/collections/docs').rewriteRequest!(body, tenantA)).toEqual({ vectors: { size: 4, distance: 'Dot' }, metadata: { team: 'x' } });
    expect(tenantRoute('PATCH', '/collections/docs').rewriteRequest!({ metadata: { [RESERVED_METADATA_KEY]: null } }, tenantA)).toEqual({ metadata: {} });
  });

  it('lists only the tenant’s own collections and aliases, under its own names, in Qdrant’s envelope', () => {
    const context = { request: { method: 'GET', path: '/collections', query: {} }, tenant: tenantA, status: 200 };
    const listed = { result: { collections: [{ name: `${nsA}docs` }, { name: `${nsB}docs` }, { name: 'operator-own' }, { name: `${nsA}faq` }] }, status: 'ok', time: 0.5 };
    expect(tenantRoute('GET', '/collections').rewriteResponse!(listed, context)).toEqual({ result: { collections: [{ name: 'docs' }, { name: 'faq' }] }, status: 'ok', time: 0.5 });
    const aliases = { result: { aliases: [
      { alias_name: `${nsA}live`, collection_name: `${nsA}docs` },
      { alias_name: `${nsB}live`, collection_name: `${nsB}docs` },
      { alias_name: `${nsA}odd`, collection_name: `${nsB}docs` },
    ] }, status: 'ok', time: 0.1 };
    expect(tenantRoute('GET', '/aliases').rewriteResponse!(aliases, { ...context, request: { ...context.request, path: '/aliases' } }))
      .toEqual({ result: { aliases: [{ alias_name: 'live', collection_name: 'docs' }] }, status: 'ok', time: 0.1 });
    expect(tenantRoute('GET', '/collections/docs/aliases').rewriteResponse!(aliases, context)).toMatchObject({ result: { aliases: [{ alias_name: 'live', collection_name: 'docs' }] } });
  });

  it('rewrites error messages of every tenant route, keeping status and time', () => {
    const error = { status: { error: `Not found: Collection \`${nsA}docs\` doesn't exist!` }, time: 0.25 };
    for (const [method, path] of [['GET', '/collections/docs'], ['POST', '/collections/docs/points/query'], ['POST', '/collections/aliases'], ['PUT', '/collections/docs/points']]) {
      const r = tenantRoute(method, path);
      expect(r.rewriteResponse!(error, { request: { method, path, query: {} }, tenant: tenantA, status: 404 })).toEqual({ status: { error: "Not found: Collection `docs` doesn't exist!" }, time: 0.25 });
    }
  });

  it('passes answers without names through unchanged', () => {
    const answer = { result: { points: [{ id: 1, version: 0, score: 0.9, payload: { name: `${nsA}looks-like-a-name` } }] }, status: 'ok', time: 0.001 };
    expect(tenantRoute('POST', '/collections/docs/points/query').rewriteResponse!(answer, { request: { method: 'POST', path: '/', query: {} }, tenant: tenantA, status: 200 })).toBe(answer);
  });
});

describe('qdrant.queries metering', () => {
  const usage = (method: string, path: string, over: Partial<GatewayExchange>) => tenantRoute(method, path).extractUsage!(exchange({ method, path, ...over }));

  it.each([
    ['/collections/docs/points/query'], ['/collections/docs/points/query/groups'], ['/collections/docs/points/scroll'], ['/collections/docs/points/count'],
    ['/collections/docs/points/search'], ['/collections/docs/points/recommend'], ['/collections/docs/points/discover'], ['/collections/docs/points/search/groups'],
    ['/collections/docs/points/recommend/groups'], ['/collections/docs/facet'], ['/collections/docs/points/search/matrix/pairs'], ['/collections/docs/points/search/matrix/offsets'],
  ])('counts one query for a successful POST %s', (path) => {
    expect(usage('POST', path, { responseMessages: [{ result: {}, status: 'ok', time: 0 }] })).toEqual([{ meter: 'qdrant.queries', quantity: '1' }]);
  });

  it.each([['/collections/docs/points/query/batch'], ['/collections/docs/points/search/batch'], ['/collections/docs/points/recommend/batch'], ['/collections/docs/points/discover/batch']])(
    'counts every search of a batch (%s)', (path) => {
      expect(usage('POST', path, { requestBody: { searches: [{}, {}, {}] }, responseMessages: [{ result: [[], [], []], status: 'ok', time: 0 }] })).toEqual([{ meter: 'qdrant.queries', quantity: '3' }]);
      // the body may not have been read (not JSON): the answer still tells how many searches ran
      expect(usage('POST', path, { responseMessages: [{ result: [{ points: [] }, { points: [] }], status: 'ok', time: 0 }] })).toEqual([{ meter: 'qdrant.queries', quantity: '2' }]);
    },
  );

  it('counts nothing for an answer that is not a success', () => {
    for (const status of [400, 401, 404, 500]) {
      expect(usage('POST', '/collections/docs/points/query', { status, responseMessages: [{ status: { error: 'x' }, time: 0 }] })).toEqual([]);
      expect(usage('POST', '/collections/docs/points/query/batch', { status, requestBody: { searches: [{}] }, responseMessages: [] })).toEqual([]);
    }
  });

  it('meters no write, no listing and no collection management', () => {
    for (const [method, path] of [['PUT', '/collections/docs/points'], ['GET', '/collections'], ['PUT', '/collections/docs'], ['POST', '/collections/docs/points'], ['GET', '/collections/docs/points/1']]) {
      expect(tenantRoute(method, path).extractUsage).toBeUndefined();
    }
  });

  it('only reports meters the manifest declares', () => {
    const declared = manifest.meters.map((m) => m.key);
    expect(declared).toEqual(['qdrant.queries', 'qdrant.points']);
  });
});
