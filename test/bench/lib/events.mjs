// Deterministic usage events: the load client, the raw-SQL baselines and the fixtures all derive
// the same events from (plan, sequence number), so the API and its baseline get identical input.
import crypto from 'node:crypto';

/** mulberry32: a small seeded PRNG. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = ['llama3', 'mistral', 'qwen2.5'];

/** Meters of the ingest benchmark and of the fault script (what a gateway in front of an LLM records). */
export const INGEST_METERS = [
  { key: 'bench.tokens', unit: 'token', aggregation: 'sum', dimensions: ['model', 'kind'] },
  { key: 'bench.requests', unit: 'request', aggregation: 'count', dimensions: ['model'] },
];

/**
 * An ingest plan: `batches` requests of `batchSize` events; each batch holds `batchSize - dups`
 * new events and `dups` re-sent copies (same key, same content) of events sent before
 * (the first batch re-sends from itself). Events happen in the `spanMs` before `baseMs`.
 */
export function ingestPlan({ tenants, batches, batchSize = 1000, dupRate = 0.1, prefix, baseMs, spanMs = 10 * 60_000, seed = 1, firstSeq = 0 }) {
  const dups = Math.round(batchSize * dupRate);
  return { tenants, batches, batchSize, dups, fresh: batchSize - dups, prefix, baseMs, spanMs, seed, firstSeq };
}

/** Event number `n` of a plan (a pure function of the plan and n). */
export function ingestEvent(plan, n) {
  const tenantId = plan.tenants[(Math.imul(n, 2654435761) >>> 0) % plan.tenants.length];
  const model = MODELS[n % MODELS.length];
  const requests = n % 4 === 0;
  return {
    tenantId,
    meter: requests ? 'bench.requests' : 'bench.tokens',
    quantity: requests ? '1' : String(1 + ((n * 7919) % 5000)),
    timestamp: new Date(plan.baseMs - plan.spanMs + (n % plan.spanMs)).toISOString(),
    idempotencyKey: `${plan.prefix}:${n.toString(16).padStart(12, '0')}:0`,
    properties: requests ? { model } : { model, kind: n % 2 ? 'completion' : 'prompt' },
  };
}

/** The sequence numbers of batch `i`: its new events, then its re-sent ones. */
export function batchSeqs(plan, i) {
  const seqs = new Array(plan.batchSize);
  const start = plan.firstSeq + i * plan.fresh;
  for (let j = 0; j < plan.fresh; j++) seqs[j] = start + j;
  const random = prng(plan.seed * 1_000_003 + i);
  const pool = i === 0 ? plan.fresh : i * plan.fresh; // earlier events (the first batch: its own)
  for (let j = 0; j < plan.dups; j++) seqs[plan.fresh + j] = plan.firstSeq + Math.floor(random() * pool);
  return seqs;
}

export function batchEvents(plan, i) {
  return batchSeqs(plan, i).map((n) => ingestEvent(plan, n));
}

/** Unique events a plan sends (what usage must add up to). */
export function planUnique(plan) {
  return plan.batches * plan.fresh;
}

// ---------------------------------------------------------------------------------------
// The usage-query fixture: a month of events of many tenants, in time order (as they arrive).
// ---------------------------------------------------------------------------------------

/** Meters of the usage-query fixture, with their share of the events. */
export const QUERY_METERS = [
  { key: 'llm.tokens', unit: 'token', aggregation: 'sum', dimensions: ['model', 'kind'], share: 0.55 },
  { key: 'llm.requests', unit: 'request', aggregation: 'count', dimensions: ['model'], share: 0.25 },
  { key: 'search.queries', unit: 'query', aggregation: 'sum', dimensions: [], share: 0.12 },
  { key: 'storage.bytes', unit: 'byte', aggregation: 'time_weighted', dimensions: ['service'], share: 0.04 },
  { key: 'vector.points', unit: 'point', aggregation: 'latest', dimensions: ['collection'], share: 0.04 },
];

/** Every meter and properties of a gauge event the fixture yields (each is one series per tenant). */
export const GAUGE_FIXTURE_PROPERTIES = [
  ['storage.bytes', { service: 'qdrant' }],
  ['storage.bytes', { service: 'supabase' }],
  ['vector.points', { collection: 'docs' }],
];

const pad = (n, w) => String(n).padStart(w, '0');
/** The canonical UTC text metering stores and hashes (microseconds). */
export function canonicalTime(ms) {
  return `${new Date(ms).toISOString().slice(0, -1)}000Z`;
}

function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** The content hash metering computes (core/metering/src/domain/usage-event.ts contentHash), as hex. */
export function contentHashHex(meter, quantity, occurredAt, properties) {
  const canonical = properties && Object.keys(properties).length ? canonicalJson(properties) : '{}';
  return crypto.createHash('sha256').update(`${meter}\n${quantity}\n${occurredAt}\n${canonical}`).digest('hex').slice(0, 32);
}

/**
 * Yields `count` fixture events between `fromMs` and `toMs` (evenly spread, time order), each of
 * a uniformly random tenant. A row is what usage_events and usage_dedup hold.
 */
export function* fixtureEvents({ tenants, count, fromMs, toMs, seed = 7 }) {
  const random = prng(seed);
  const cumulative = [];
  let acc = 0;
  for (const m of QUERY_METERS) cumulative.push([(acc += m.share), m]);
  const step = (toMs - fromMs) / count;
  for (let n = 0; n < count; n++) {
    const r = random();
    const meter = (cumulative.find(([c]) => r < c) ?? cumulative[cumulative.length - 1])[1];
    const tenantId = tenants[Math.floor(random() * tenants.length)];
    const ms = Math.floor(fromMs + n * step);
    let quantity;
    let properties;
    switch (meter.key) {
      case 'llm.tokens':
        quantity = String(1 + Math.floor(random() * 4000));
        properties = { model: MODELS[n % 3], kind: n % 2 ? 'completion' : 'prompt' };
        break;
      case 'llm.requests':
        quantity = '1';
        properties = { model: MODELS[n % 3] };
        break;
      case 'search.queries':
        quantity = '1';
        properties = null;
        break;
      case 'storage.bytes':
        quantity = String(1_000_000_000 + Math.floor(random() * 9_000_000_000));
        properties = { service: n % 2 ? 'qdrant' : 'supabase' };
        break;
      default:
        quantity = String(Math.floor(random() * 1_000_000));
        properties = { collection: 'docs' };
    }
    yield { tenantId, meter: meter.key, ms, quantity, properties, idempotencyKey: `gw:${pad(n.toString(16), 12)}-${tenantId.slice(0, 8)}:0` };
  }
}
