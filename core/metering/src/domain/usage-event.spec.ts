import type { Meter } from './meter';
import { canonicalJson, checkUsageEvent, CheckedUsageEvent, contentHash, EventCheckContext, isRejection, UsageRejection } from './usage-event';

const TENANT = '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60';
const meter = (key: string, aggregation: Meter['aggregation'] = 'sum', valueProperty: string | null = null): Meter =>
  ({ key, unit: 'x', aggregation, description: 'x', valueProperty, dimensions: [], owner: 'operator', createdAt: new Date() });
const METERS = new Map([['qdrant.queries', meter('qdrant.queries')], ['app.users', meter('app.users', 'unique_count', 'userId')]]);
const NOW = new Date('2026-11-23T12:00:00Z');
const ctx: EventCheckContext = { now: NOW, tenantAllowed: (id) => id === TENANT, meter: (key) => METERS.get(key) };

const event = (overrides: Record<string, unknown> = {}) => ({
  tenantId: TENANT, meter: 'qdrant.queries', quantity: '3', timestamp: '2026-11-23T11:00:00Z', idempotencyKey: 'k-1', ...overrides,
});
const accepted = (raw: unknown): CheckedUsageEvent => {
  const result = checkUsageEvent(raw, 0, ctx);
  if (isRejection(result)) throw new Error(`rejected: ${result.code} ${result.message}`);
  return result;
};
const rejection = (raw: unknown): UsageRejection => {
  const result = checkUsageEvent(raw, 7, ctx);
  if (!isRejection(result)) throw new Error('accepted');
  return result;
};

describe('checking one usage event', () => {
  it('brings a valid event into canonical form', () => {
    expect(accepted(event({ quantity: 1.5, timestamp: '2026-11-23T12:00:00+01:00', tenantId: TENANT.toUpperCase(), properties: { model: 'llama3' } }))).toMatchObject({
      index: 0, tenantId: TENANT, meter: 'qdrant.queries', quantity: '1.5', occurredAt: '2026-11-23T11:00:00.000000Z', idempotencyKey: 'k-1',
      propertiesJson: '{"model":"llama3"}', contentHash: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('hashes the same content alike however it is written, and other content differently', () => {
    const base = accepted(event({ properties: { a: 1, b: { c: 2, d: 3 } } })).contentHash;
    expect(accepted(event({ quantity: 3, properties: { b: { d: 3, c: 2 }, a: 1 } })).contentHash).toBe(base);
    expect(accepted(event({ quantity: '3.000', timestamp: '2026-11-23T12:00:00.000+01:00', properties: { a: 1, b: { c: 2, d: 3 } } })).contentHash).toBe(base);
    expect(accepted(event({ quantity: '4', properties: { a: 1, b: { c: 2, d: 3 } } })).contentHash).not.toBe(base);
    expect(accepted(event({ properties: { a: 2, b: { c: 2, d: 3 } } })).contentHash).not.toBe(base);
    expect(accepted(event({ timestamp: '2026-11-23T11:00:00.000001Z', properties: { a: 1, b: { c: 2, d: 3 } } })).contentHash).not.toBe(base);
    expect(accepted(event({ properties: {} })).contentHash).toBe(accepted(event()).contentHash);
    expect(accepted(event({ properties: null })).propertiesJson).toBeNull();
  });

  test.each<[string, unknown, string]>([
    ['not an object', 'usage', 'usage.invalid_event'],
    ['an array', [event()], 'usage.invalid_event'],
    ['an unknown field', event({ amount: 3 }), 'usage.invalid_event'],
    ['no tenantId', event({ tenantId: undefined }), 'usage.invalid_event'],
    ['a numeric tenantId', event({ tenantId: 42 }), 'usage.invalid_event'],
    ['an unknown tenant', event({ tenantId: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f61' }), 'usage.tenant_not_found'],
    ['a tenantId that is no UUID', event({ tenantId: 'acme' }), 'usage.tenant_not_found'],
    ['no meter', event({ meter: undefined }), 'usage.invalid_event'],
    ['an unknown meter', event({ meter: 'qdrant.querys' }), 'usage.unknown_meter'],
    ['no idempotencyKey', event({ idempotencyKey: undefined }), 'usage.invalid_idempotency_key'],
    ['an empty idempotencyKey', event({ idempotencyKey: '' }), 'usage.invalid_idempotency_key'],
    ['an idempotencyKey of 256 characters', event({ idempotencyKey: 'k'.repeat(256) }), 'usage.invalid_idempotency_key'],
    ['an idempotencyKey with NUL', event({ idempotencyKey: 'a\u0000b' }), 'usage.invalid_idempotency_key'],
    ['an idempotencyKey with a lone surrogate', event({ idempotencyKey: 'a\ud800' }), 'usage.invalid_idempotency_key'],
    ['a numeric idempotencyKey', event({ idempotencyKey: 5 }), 'usage.invalid_idempotency_key'],
    ['no quantity', event({ quantity: undefined }), 'usage.invalid_quantity'],
    ['a negative quantity', event({ quantity: -1 }), 'usage.invalid_quantity'],
    ['NaN', event({ quantity: 'NaN' }), 'usage.invalid_quantity'],
    ['1e309', event({ quantity: '1e309' }), 'usage.invalid_quantity'],
    ['a huge string quantity', event({ quantity: '9'.repeat(100_000) }), 'usage.invalid_quantity'],
    ['no timestamp', event({ timestamp: undefined }), 'usage.invalid_timestamp'],
    ['a timestamp without offset', event({ timestamp: '2026-11-23T11:00:00' }), 'usage.invalid_timestamp'],
    ['an epoch number', event({ timestamp: 1763895600000 }), 'usage.invalid_timestamp'],
    ['a timestamp 6 minutes ahead', event({ timestamp: '2026-11-23T12:06:00Z' }), 'usage.timestamp_in_future'],
    ['a far-future timestamp', event({ timestamp: '9999-12-31T23:59:59Z' }), 'usage.timestamp_in_future'],
    ['a timestamp 46 days old', event({ timestamp: '2026-10-08T11:00:00Z' }), 'usage.too_old'],
    ['properties that are a list', event({ properties: ['a'] }), 'usage.invalid_event'],
    ['properties above 4 KiB', event({ properties: { note: 'x'.repeat(4096) } }), 'usage.properties_too_large'],
    ['a NUL inside properties', event({ properties: { model: 'a\u0000' } }), 'usage.invalid_event'],
    ['a lone surrogate as a property key', event({ properties: { ['\udc00']: 1 } }), 'usage.invalid_event'],
    ['a unique_count event without its value property', event({ meter: 'app.users', properties: { other: 'x' } }), 'usage.invalid_event'],
  ])('%s is rejected with %s', (_name, raw, code) => {
    const r = rejection(raw);
    expect(r).toEqual({ index: 7, code, message: expect.any(String) });
    expect(r.message.length).toBeLessThan(300);
  });

  it('accepts the edges: 5 minutes ahead, 45 days old, 255-character keys, 4 KiB of properties', () => {
    accepted(event({ timestamp: '2026-11-23T12:05:00Z' }));
    accepted(event({ timestamp: '2026-10-09T12:00:00Z' }));
    accepted(event({ idempotencyKey: 'k'.repeat(255) }));
    accepted(event({ properties: { note: 'x'.repeat(4096 - '{"note":""}'.length) } }));
    accepted(event({ meter: 'app.users', properties: { userId: 'u-1' } }));
  });

  it('reveals nothing about a tenant the caller may not write to, however broken the rest is', () => {
    expect(rejection({ tenantId: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f61', meter: 'nope', quantity: -1 }).code).toBe('usage.tenant_not_found');
  });

  it('writes canonical JSON with sorted keys', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: 'x' }], a: null })).toBe('{"a":null,"b":[2,{"c":"x","d":1}]}');
  });

  it('stores the properties as canonical JSON and hashes them as before, in one pass or the general one', () => {
    const props = { z: 'ü€😀', a: [1, 2.5, -0, { y: true, b: null }], m: { q: 'x"\\n' } };
    const e = accepted(event({ properties: props }));
    expect(e.propertiesJson).toBe(canonicalJson(props));
    expect(JSON.parse(e.propertiesJson!)).toEqual(JSON.parse(JSON.stringify(props)));
    expect(e.contentHash).toBe(contentHash('qdrant.queries', '3', '2026-11-23T11:00:00.000000Z', canonicalJson(props)));
    // values JSON.stringify drops or converts (in-process callers) keep the general path: stored as JSON.stringify writes them
    const odd = { when: new Date('2026-11-23T11:00:00Z'), gone: undefined, a: 1 };
    const general = accepted(event({ properties: odd }));
    expect(general.propertiesJson).toBe(JSON.stringify(odd));
    expect(general.contentHash).toBe(contentHash('qdrant.queries', '3', '2026-11-23T11:00:00.000000Z', canonicalJson(odd)));
    // a multi-byte value over 4 KiB in UTF-8 is too large although it has fewer characters
    expect(rejection(event({ properties: { note: '€'.repeat(1400) } })).code).toBe('usage.properties_too_large');
    expect(rejection(event({ properties: { note: 'a\u0000'.repeat(3000) } })).code).toBe('usage.properties_too_large');
  });
});
