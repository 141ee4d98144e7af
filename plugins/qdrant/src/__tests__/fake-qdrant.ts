// A fake Qdrant on a real HTTP port, following Qdrant's REST API document
// /work/shared/specs/qdrant/openapi.json (Qdrant v1.19.0, docs/redoc/master/openapi.json): the
// response envelope {result, status, time} and ErrorResponse {status: {error}, time}, VersionInfo
// at GET /, collections (list, create, info, update metadata, delete, exists), aliases (list,
// per collection, POST /collections/aliases actions), points (upsert, retrieve, delete, scroll,
// count, query, query/batch), plus the search, search/batch, recommend, recommend/batch,
// discover and discover/batch endpoints of Qdrant before 1.19 in the shapes of the
// `@qdrant/js-client-rest` 1.18.0 schema (node_modules/@qdrant/js-client-rest/dist/types/
// openapi/generated_schema.d.ts), which v1.19's document no longer lists.
// Like Qdrant with `service.api_key` set, it refuses requests without the operator's `api-key`
// (GET /, /healthz, /livez and /readyz excepted) and reads JSON bodies only as application/json.
// Deliberate simplifications: `time` is always FAKE_TIME (Qdrant measures it; a fixed value lets
// tests compare whole answers), scores are exact brute force over Cosine/Dot/Euclid/Manhattan,
// filters know `must`/`should`/`must_not` with `match.value`, `match.any` and `has_id`, and
// discover ranks by its target only. Built on the testkit's UpstreamStub: anything else is
// answered 599 and fails verify().
import { UpstreamStub, type StubReply, type StubRequest } from '@werkbank/plugin-testkit';

export const FAKE_TIME = 0.000123;
export const FAKE_VERSION = '1.19.0';

type Json = Record<string, unknown>;
type PointId = number | string;
type Distance = 'Cosine' | 'Dot' | 'Euclid' | 'Manhattan';

interface FakePoint {
  id: PointId;
  vector: number[];
  payload: Json;
  version: number;
}

interface FakeCollection {
  size: number;
  distance: Distance;
  vectors: Json;
  metadata: Json;
  points: Map<string, FakePoint>;
  /** Qdrant numbers update operations per collection */
  operations: number;
}

class Failure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const notFound = (name: string) => new Failure(404, `Not found: Collection \`${name}\` doesn't exist!`);

export class FakeQdrant {
  readonly apiKey = 'fake-operator-qdrant-key';
  readonly collections = new Map<string, FakeCollection>();
  readonly aliases = new Map<string, string>();
  private readonly stub = new UpstreamStub();
  private failing?: number;

  get url(): string {
    return this.stub.url;
  }

  /** every request received (method, path, query, headers, parsed body) */
  get requests() {
    return this.stub.requests;
  }

  async start(): Promise<this> {
    await this.stub.start();
    this.routes();
    return this;
  }

  /** back to empty and healthy */
  reset(): void {
    this.stub.reset();
    this.collections.clear();
    this.aliases.clear();
    this.failing = undefined;
    this.routes();
  }

  verify(): void {
    this.stub.verify();
  }

  close(): Promise<void> {
    return this.stub.close();
  }

  /** answers every request with `status` until reset() */
  failWith(status: number): void {
    this.failing = status;
  }

  /** collection names starting with `prefix` */
  names(prefix = ''): string[] {
    return [...this.collections.keys()].filter((n) => n.startsWith(prefix)).sort();
  }

  private routes(): void {
    const open = (method: string, path: string, handler: (req: StubRequest) => StubReply) =>
      this.stub.expect(method, path, (req) => (this.failing ? this.error(this.failing, `failing on purpose with ${this.failing}`) : handler(req)), { times: 'any' });
    const serve = (method: string, path: string, handler: (req: StubRequest) => unknown, body = false) =>
      this.stub.expect(method, path, (req) => this.guard(req, body, handler), { times: 'any' });

    open('GET', '/', () => ({ status: 200, body: { title: 'qdrant - vector search engine', version: FAKE_VERSION, commit: '74f3e85b9473c62560006c043e13737ce6b48412' } }));
    for (const probe of ['healthz', 'livez', 'readyz']) open('GET', `/${probe}`, () => ({ status: 200, body: `${probe} check passed` }));

    serve('GET', '/collections', () => ({ collections: this.names().map((name) => ({ name })) }));
    serve('GET', '/aliases', () => ({ aliases: this.aliasList() }));
    serve('POST', '/collections/aliases', (req) => this.changeAliases(req.body as Json), true);
    serve('GET', '/collections/:name', (req) => this.info(req.params.name));
    serve('PUT', '/collections/:name', (req) => this.create(req.params.name, req.body as Json), true);
    serve('PATCH', '/collections/:name', (req) => this.update(req.params.name, req.body as Json), true);
    serve('DELETE', '/collections/:name', (req) => this.drop(req.params.name));
    serve('GET', '/collections/:name/exists', (req) => ({ exists: this.collections.has(req.params.name) || this.aliases.has(req.params.name) }));
    serve('GET', '/collections/:name/aliases', (req) => {
      this.resolve(req.params.name);
      return { aliases: this.aliasList().filter((a) => a.collection_name === req.params.name) };
    });
    serve('PUT', '/collections/:name/points', (req) => this.upsert(req.params.name, req.body as Json), true);
    serve('POST', '/collections/:name/points', (req) => this.retrieve(req.params.name, req.body as Json), true);
    serve('GET', '/collections/:name/points/:id', (req) => {
      const c = this.resolve(req.params.name);
      const point = c.points.get(String(parseId(req.params.id)));
      if (!point) throw new Failure(404, `Not found: No point with id ${req.params.id} found`);
      return this.record(point, true, true);
    });
    serve('POST', '/collections/:name/points/delete', (req) => this.deletePoints(req.params.name, req.body as Json), true);
    serve('POST', '/collections/:name/points/scroll', (req) => this.scroll(req.params.name, req.body as Json), true);
    serve('POST', '/collections/:name/points/count', (req) => ({ count: this.filtered(this.resolve(req.params.name), (req.body as Json)?.filter).length }), true);
    serve('POST', '/collections/:name/points/query', (req) => ({ points: this.query(req.params.name, req.body as Json) }), true);
    serve('POST', '/collections/:name/points/query/batch', (req) => this.batch(req.body as Json).map((s) => ({ points: this.query(req.params.name, s) })), true);
    serve('POST', '/collections/:name/points/search', (req) => this.search(req.params.name, req.body as Json), true);
    serve('POST', '/collections/:name/points/search/batch', (req) => this.batch(req.body as Json).map((s) => this.search(req.params.name, s)), true);
    serve('POST', '/collections/:name/points/recommend', (req) => this.recommend(req.params.name, req.body as Json), true);
    serve('POST', '/collections/:name/points/recommend/batch', (req) => this.batch(req.body as Json).map((s) => this.recommend(req.params.name, s)), true);
    serve('POST', '/collections/:name/points/discover', (req) => this.discover(req.params.name, req.body as Json), true);
    serve('POST', '/collections/:name/points/discover/batch', (req) => this.batch(req.body as Json).map((s) => this.discover(req.params.name, s)), true);
  }

  /** failures on demand, the api-key, JSON bodies, the envelope: what every collection endpoint shares */
  private guard(req: StubRequest, body: boolean, handler: (req: StubRequest) => unknown): StubReply {
    if (this.failing) return this.error(this.failing, `failing on purpose with ${this.failing}`);
    const bearer = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    if (req.headers['api-key'] !== this.apiKey && bearer !== this.apiKey) {
      return this.error(401, 'Must provide an API key or an Authorization bearer token');
    }
    if (body && (req.rawBody === '' || !/^application\/json\b/i.test(req.headers['content-type'] ?? ''))) {
      return this.error(400, 'Content type error: expected application/json');
    }
    if (body && (typeof req.body !== 'object' || req.body === null)) return this.error(400, 'Json deserialize error: expected an object');
    try {
      return { status: 200, body: { result: handler(req), status: 'ok', time: FAKE_TIME } };
    } catch (error) {
      if (error instanceof Failure) return this.error(error.status, error.message);
      throw error;
    }
  }

  private error(status: number, message: string): StubReply {
    return { status, body: { status: { error: message }, time: FAKE_TIME } };
  }

  // ---- collections ---------------------------------------------------------------------------

  private resolve(name: string): FakeCollection {
    const c = this.collections.get(this.aliases.get(name) ?? name);
    if (!c) throw notFound(name);
    return c;
  }

  private create(name: string, body: Json): boolean {
    if (this.collections.has(name) || this.aliases.has(name)) throw new Failure(409, `Wrong input: Collection \`${name}\` already exists!`);
    const vectors = body.vectors as Json | undefined;
    if (!vectors || typeof vectors.size !== 'number' || typeof vectors.distance !== 'string') {
      throw new Failure(400, 'Wrong input: this fake supports one unnamed vector: {"vectors": {"size": n, "distance": "Cosine"}}');
    }
    const metadata = body.metadata && typeof body.metadata === 'object' ? (body.metadata as Json) : {};
    this.collections.set(name, { size: vectors.size, distance: vectors.distance as Distance, vectors, metadata: { ...metadata }, points: new Map(), operations: 0 });
    return true;
  }

  private update(name: string, body: Json): boolean {
    const c = this.resolve(name);
    if (body.metadata && typeof body.metadata === 'object') Object.assign(c.metadata, body.metadata);
    return true;
  }

  private drop(name: string): boolean {
    if (!this.collections.delete(name)) return false;
    for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
    return true;
  }

  private info(name: string): Json {
    const c = this.resolve(name);
    const config: Json = {
      params: { vectors: c.vectors, shard_number: 1, replication_factor: 1, write_consistency_factor: 1, on_disk_payload: true },
      hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
      optimizer_config: { deleted_threshold: 0.2, vacuum_min_vector_number: 1000, default_segment_number: 0, max_segment_size: null, memmap_threshold: null, indexing_threshold: 20000, flush_interval_sec: 5, max_optimization_threads: null },
      wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
      quantization_config: null,
    };
    if (Object.keys(c.metadata).length > 0) config.metadata = { ...c.metadata };
    return { status: 'green', optimizer_status: 'ok', indexed_vectors_count: 0, points_count: c.points.size, segments_count: 1, config, payload_schema: {} };
  }

  private aliasList(): Array<{ alias_name: string; collection_name: string }> {
    return [...this.aliases].map(([alias_name, collection_name]) => ({ alias_name, collection_name })).sort((a, b) => a.alias_name.localeCompare(b.alias_name));
  }

  private changeAliases(body: Json): boolean {
    if (!Array.isArray(body.actions)) throw new Failure(400, 'Json deserialize error: missing field `actions`');
    for (const action of body.actions as Json[]) {
      const create = action.create_alias as Json | undefined;
      const remove = action.delete_alias as Json | undefined;
      const rename = action.rename_alias as Json | undefined;
      if (create) {
        const collection = String(create.collection_name);
        const alias = String(create.alias_name);
        if (!this.collections.has(collection)) throw notFound(collection);
        if (this.collections.has(alias)) throw new Failure(409, `Wrong input: Collection \`${alias}\` already exists!`);
        this.aliases.set(alias, collection);
      } else if (remove) {
        const alias = String(remove.alias_name);
        if (!this.aliases.delete(alias)) throw new Failure(404, `Not found: Alias \`${alias}\` doesn't exist!`);
      } else if (rename) {
        const from = String(rename.old_alias_name);
        const target = this.aliases.get(from);
        if (target === undefined) throw new Failure(404, `Not found: Alias \`${from}\` doesn't exist!`);
        this.aliases.delete(from);
        this.aliases.set(String(rename.new_alias_name), target);
      } else {
        throw new Failure(400, 'Json deserialize error: unknown alias operation');
      }
    }
    return true;
  }

  // ---- points --------------------------------------------------------------------------------

  private upsert(name: string, body: Json): Json {
    const c = this.resolve(name);
    const version = c.operations++;
    const points: Array<{ id: PointId; vector: unknown; payload?: unknown }> = Array.isArray(body.points)
      ? (body.points as Json[]).map((p) => ({ id: p.id as PointId, vector: p.vector, payload: p.payload }))
      : batchPoints(body.batch as Json | undefined);
    for (const p of points) {
      if (!Array.isArray(p.vector) || p.vector.length !== c.size) {
        throw new Failure(400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${Array.isArray(p.vector) ? p.vector.length : 0}`);
      }
    }
    for (const p of points) c.points.set(String(p.id), { id: p.id, vector: p.vector as number[], payload: (p.payload as Json) ?? {}, version });
    return { operation_id: version, status: 'completed' };
  }

  private retrieve(name: string, body: Json): Json[] {
    const c = this.resolve(name);
    const ids = Array.isArray(body.ids) ? (body.ids as PointId[]) : [];
    return ids.flatMap((id) => {
      const p = c.points.get(String(id));
      return p ? [this.record(p, body.with_payload ?? true, body.with_vector ?? false)] : [];
    });
  }

  private deletePoints(name: string, body: Json): Json {
    const c = this.resolve(name);
    const doomed = Array.isArray(body.points) ? (body.points as PointId[]).map(String) : this.filtered(c, body.filter).map((p) => String(p.id));
    for (const id of doomed) c.points.delete(id);
    return { operation_id: c.operations++, status: 'completed' };
  }

  private scroll(name: string, body: Json): Json {
    const c = this.resolve(name);
    const limit = typeof body.limit === 'number' ? body.limit : 10;
    const all = this.filtered(c, body.filter).sort(byId);
    const start = body.offset === undefined || body.offset === null ? 0 : Math.max(0, all.findIndex((p) => String(p.id) === String(body.offset)));
    const page = all.slice(start, start + limit);
    const next = all[start + limit];
    return { points: page.map((p) => this.record(p, body.with_payload ?? true, body.with_vector ?? false)), next_page_offset: next ? next.id : null };
  }

  private batch(body: Json): Json[] {
    if (!Array.isArray(body.searches)) throw new Failure(400, 'Json deserialize error: missing field `searches`');
    return body.searches as Json[];
  }

  private query(name: string, body: Json): Json[] {
    const c = this.resolve(name);
    const q = body.query as unknown;
    const lookup = this.lookup(c, body.lookup_from);
    let target: number[] | undefined;
    let exclude: string[] = [];
    if (Array.isArray(q)) target = q as number[];
    else if (typeof q === 'number' || typeof q === 'string') {
      target = this.vectorOf(lookup, q);
      exclude = [String(q)];
    } else if (q && typeof q === 'object') {
      const query = q as Json;
      if (query.nearest !== undefined) target = Array.isArray(query.nearest) ? (query.nearest as number[]) : this.vectorOf(lookup, query.nearest as PointId);
      else if (query.recommend) {
        const r = query.recommend as Json;
        ({ target, exclude } = this.recommendTarget(lookup, (r.positive as unknown[]) ?? [], (r.negative as unknown[]) ?? []));
      } else if (query.discover) {
        const d = query.discover as Json;
        target = Array.isArray(d.target) ? (d.target as number[]) : this.vectorOf(lookup, d.target as PointId);
      } else throw new Failure(400, 'Wrong input: this fake supports nearest, recommend and discover queries');
    }
    return this.rank(c, target, body, exclude);
  }

  private search(name: string, body: Json): Json[] {
    const c = this.resolve(name);
    if (!Array.isArray(body.vector)) throw new Failure(400, 'Json deserialize error: missing field `vector`');
    return this.rank(c, body.vector as number[], body, []);
  }

  private recommend(name: string, body: Json): Json[] {
    const c = this.resolve(name);
    const { target, exclude } = this.recommendTarget(this.lookup(c, body.lookup_from), (body.positive as unknown[]) ?? [], (body.negative as unknown[]) ?? []);
    return this.rank(c, target, body, exclude);
  }

  private discover(name: string, body: Json): Json[] {
    const c = this.resolve(name);
    const lookup = this.lookup(c, body.lookup_from);
    const target = Array.isArray(body.target) ? (body.target as number[]) : body.target === undefined ? undefined : this.vectorOf(lookup, body.target as PointId);
    return this.rank(c, target, body, typeof body.target === 'number' || typeof body.target === 'string' ? [String(body.target)] : []);
  }

  private lookup(c: FakeCollection, from: unknown): FakeCollection {
    if (!from || typeof from !== 'object') return c;
    return this.resolve(String((from as Json).collection));
  }

  private vectorOf(c: FakeCollection, id: PointId): number[] {
    const p = c.points.get(String(id));
    if (!p) throw new Failure(404, `Not found: No point with id ${String(id)} found`);
    return p.vector;
  }

  /** Qdrant's average_vector strategy: avg(positive) + (avg(positive) - avg(negative)). */
  private recommendTarget(c: FakeCollection, positive: unknown[], negative: unknown[]): { target: number[]; exclude: string[] } {
    const vec = (x: unknown) => (Array.isArray(x) ? (x as number[]) : this.vectorOf(c, x as PointId));
    if (positive.length === 0) throw new Failure(400, 'Wrong input: at least one positive example is required');
    const avg = (list: number[][]) => list[0].map((_, i) => list.reduce((s, v) => s + v[i], 0) / list.length);
    const pos = avg(positive.map(vec));
    const target = negative.length === 0 ? pos : pos.map((x, i) => x + (x - avg(negative.map(vec))[i]));
    return { target, exclude: [...positive, ...negative].filter((x) => !Array.isArray(x)).map(String) };
  }

  private rank(c: FakeCollection, target: number[] | undefined, body: Json, exclude: string[]): Json[] {
    const limit = typeof body.limit === 'number' ? body.limit : typeof body.top === 'number' ? body.top : 10;
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    const candidates = this.filtered(c, body.filter).filter((p) => !exclude.includes(String(p.id)));
    const scored = candidates.map((p) => ({ p, score: target ? score(c.distance, target, p.vector) : 0 }));
    const better = c.distance === 'Euclid' || c.distance === 'Manhattan' ? (a: number, b: number) => a - b : (a: number, b: number) => b - a;
    if (target) scored.sort((a, b) => better(a.score, b.score) || byId(a.p, b.p));
    else scored.sort((a, b) => byId(a.p, b.p));
    const threshold = typeof body.score_threshold === 'number' ? body.score_threshold : undefined;
    return scored
      .filter(({ score: s }) => threshold === undefined || (c.distance === 'Euclid' || c.distance === 'Manhattan' ? s <= threshold : s >= threshold))
      .slice(offset, offset + limit)
      .map(({ p, score: s }) => ({ ...this.record(p, body.with_payload ?? false, body.with_vector ?? false), version: p.version, score: s }));
  }

  private filtered(c: FakeCollection, filter: unknown): FakePoint[] {
    return [...c.points.values()].filter((p) => matches(p, filter));
  }

  private record(p: FakePoint, withPayload: unknown, withVector: unknown): Json {
    const out: Json = { id: p.id };
    if (withPayload === true) out.payload = p.payload;
    else if (Array.isArray(withPayload)) out.payload = Object.fromEntries(Object.entries(p.payload).filter(([k]) => (withPayload as string[]).includes(k)));
    if (withVector === true) out.vector = p.vector;
    return out;
  }
}

function batchPoints(batch: Json | undefined): Array<{ id: PointId; vector: unknown; payload?: unknown }> {
  if (!batch || !Array.isArray(batch.ids)) throw new Failure(400, 'Json deserialize error: expected `points` or `batch`');
  const vectors = batch.vectors as unknown[];
  const payloads = (batch.payloads as unknown[] | undefined) ?? [];
  return (batch.ids as PointId[]).map((id, i) => ({ id, vector: vectors?.[i], payload: payloads[i] }));
}

function parseId(raw: string): PointId {
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

function byId(a: { id: PointId }, b: { id: PointId }): number {
  if (typeof a.id === 'number' && typeof b.id === 'number') return a.id - b.id;
  if (typeof a.id === 'number') return -1;
  if (typeof b.id === 'number') return 1;
  return a.id.localeCompare(b.id);
}

function score(distance: Distance, a: number[], b: number[]): number {
  const dot = a.reduce((s, x, i) => s + x * b[i], 0);
  switch (distance) {
    case 'Dot':
      return dot;
    case 'Euclid':
      return Math.sqrt(a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0));
    case 'Manhattan':
      return a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0);
    default: {
      const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
      return dot / (norm(a) * norm(b));
    }
  }
}

function matches(p: FakePoint, filter: unknown): boolean {
  if (!filter || typeof filter !== 'object') return true;
  const f = filter as Json;
  const list = (x: unknown) => (Array.isArray(x) ? x : x === undefined || x === null ? [] : [x]) as unknown[];
  const must = list(f.must);
  const should = list(f.should);
  const mustNot = list(f.must_not);
  return must.every((c) => condition(p, c)) && (should.length === 0 || should.some((c) => condition(p, c))) && !mustNot.some((c) => condition(p, c));
}

function condition(p: FakePoint, c: unknown): boolean {
  const cond = c as Json;
  if (Array.isArray(cond.has_id)) return (cond.has_id as PointId[]).map(String).includes(String(p.id));
  if (cond.must || cond.should || cond.must_not) return matches(p, cond);
  const value = p.payload[String(cond.key)];
  const match = cond.match as Json | undefined;
  if (!match) return false;
  const values = Array.isArray(value) ? value : [value];
  if ('value' in match) return values.includes(match.value);
  if (Array.isArray(match.any)) return values.some((v) => (match.any as unknown[]).includes(v));
  return false;
}
