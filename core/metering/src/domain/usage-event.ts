import { hash } from 'node:crypto';
import { isGauge, type Meter } from './meter';
import { parseQuantity } from './quantity';
import { parseTimestamp } from './timestamp';

/** One usage event as callers send it (HTTP body item, gateway, collectors). */
export interface UsageEventInput {
  tenantId: string;
  meter: string;
  /** a non-negative decimal, as a string (exact) or a JSON number */
  quantity: string | number;
  /** ISO 8601 with offset, when the usage happened */
  timestamp: string;
  /** 1..255 characters; the same key for the same tenant is the same event for 45 days */
  idempotencyKey: string;
  /** dimension values and details, at most 4 KiB as JSON */
  properties?: Record<string, unknown>;
}

/** Why one event was not recorded; the codes are public (docs/metering.md). */
export const USAGE_REJECTIONS = {
  tenantNotFound: 'usage.tenant_not_found',
  unknownMeter: 'usage.unknown_meter',
  invalidQuantity: 'usage.invalid_quantity',
  invalidTimestamp: 'usage.invalid_timestamp',
  timestampInFuture: 'usage.timestamp_in_future',
  tooOld: 'usage.too_old',
  invalidIdempotencyKey: 'usage.invalid_idempotency_key',
  propertiesTooLarge: 'usage.properties_too_large',
  idempotencyConflict: 'usage.idempotency_conflict',
  invalidEvent: 'usage.invalid_event',
} as const;

export interface UsageRejection {
  index: number;
  code: string;
  message: string;
}

/** An event that passed every check, in canonical form. */
export interface CheckedUsageEvent {
  index: number;
  tenantId: string;
  meter: string;
  /** canonical decimal text */
  quantity: string;
  /** canonical UTC text with microseconds */
  occurredAt: string;
  epochMs: number;
  /** microseconds of `occurredAt` beyond `epochMs` (0 to 999) */
  micros: number;
  idempotencyKey: string;
  /** the properties as JSON (keys sorted), null when there are none */
  propertiesJson: string | null;
  /** identifies the content (meter, quantity, time, properties) behind one idempotency key */
  contentHash: string;
  /** a gauge meter's (latest, time_weighted) dimensions as a JSON array: its series is stored from them; null for other meters */
  seriesDimensions: string | null;
}

/** Deduplication window: events older than this are refused, and dedup rows older than this are pruned. */
export const DEDUP_WINDOW_MS = 45 * 86_400_000;
/** How far in the future a timestamp may lie (clock skew of the sender). */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;
export const MAX_PROPERTIES_BYTES = 4096;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const PROPERTIES_NOT_STORABLE = 'properties must not contain NUL characters or unpaired surrogates';

const FIELDS = new Set(['tenantId', 'meter', 'quantity', 'timestamp', 'idempotencyKey', 'properties']);

export interface EventCheckContext {
  now: Date;
  /** whether the caller may record usage for this tenant (exists and visible/writable); ids arrive lower-cased */
  tenantAllowed(tenantId: string): boolean;
  meter(key: string): Meter | undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const shown = (value: unknown): string => {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** Text PostgreSQL stores as given: no NUL character, no lone UTF-16 surrogate (it would be silently replaced). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Any character that needs a closer look: NUL or a surrogate (one scan; most text has neither). */
const SUSPECT = /[\u0000\uD800-\uDFFF]/;
function storable(text: string): boolean {
  return !SUSPECT.test(text) || (!text.includes('\u0000') && !LONE_SURROGATE.test(text));
}

/** Every key and string inside `value` storable; iterative, the body's depth is bounded by the API anyway. */
function storableJson(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (!storable(node)) return false;
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (!storable(k)) return false;
        stack.push(v);
      }
    }
  }
  return true;
}

/** JSON with object keys sorted at every level: the same properties in any order hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function contentHash(meter: string, quantity: string, occurredAt: string, canonicalProperties: string): string {
  return hash('sha256', `${meter}\n${quantity}\n${occurredAt}\n${canonicalProperties}`, 'hex').slice(0, 32);
}

/** Not plain JSON data: the properties take the general path (JSON.stringify drops or converts such values). */
const NOT_PLAIN = Symbol('not plain');

/**
 * Canonical JSON of plain data (what JSON.parse gives: objects, arrays, strings, finite numbers,
 * booleans, null) with every string and key checked storable, in one pass. Equals
 * `canonicalJson(value)` and, up to key order, `JSON.stringify(value)`; NOT_PLAIN for anything else
 * (undefined, functions, dates, non-finite numbers, class instances), false for text PostgreSQL
 * cannot store.
 */
function plainCanonicalJson(value: unknown, depth: number): string | false | typeof NOT_PLAIN {
  switch (typeof value) {
    case 'string':
      return storable(value) ? JSON.stringify(value) : false;
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : NOT_PLAIN;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth > 64) return NOT_PLAIN;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item = plainCanonicalJson(value[i], depth + 1);
          if (typeof item !== 'string') return item;
          out += i === 0 ? item : `,${item}`;
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      const keys = Object.keys(value);
      if (keys.length > 1) keys.sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (!storable(key)) return false;
        const item = plainCanonicalJson((value as Record<string, unknown>)[key], depth + 1);
        if (typeof item !== 'string') return item;
        out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${item}`;
      }
      return `${out}}`;
    }
    default:
      return NOT_PLAIN;
  }
}

/**
 * Checks one event and brings it into canonical form, or says why not (first problem only).
 * The tenant comes first, so a caller learns nothing else about a tenant it may not write to.
 */
export function checkUsageEvent(raw: unknown, index: number, ctx: EventCheckContext): CheckedUsageEvent | UsageRejection {
  const reject = (code: string, message: string): UsageRejection => ({ index, code, message });
  if (!isPlainObject(raw)) return reject(USAGE_REJECTIONS.invalidEvent, 'an event must be a JSON object');
  for (const field in raw) {
    if (!FIELDS.has(field) && Object.prototype.hasOwnProperty.call(raw, field)) return reject(USAGE_REJECTIONS.invalidEvent, `${shown(field)} is not a known field; remove it`);
  }

  const { tenantId, meter: meterKey, quantity, timestamp, idempotencyKey, properties } = raw;
  if (tenantId === undefined || tenantId === null) return reject(USAGE_REJECTIONS.invalidEvent, 'tenantId is required');
  if (typeof tenantId !== 'string') return reject(USAGE_REJECTIONS.invalidEvent, 'tenantId must be a string');
  const tenant = tenantId.toLowerCase();
  if (!ctx.tenantAllowed(tenant)) return reject(USAGE_REJECTIONS.tenantNotFound, 'no tenant with this id is visible to you for recording usage');

  if (meterKey === undefined || meterKey === null) return reject(USAGE_REJECTIONS.invalidEvent, 'meter is required');
  if (typeof meterKey !== 'string') return reject(USAGE_REJECTIONS.invalidEvent, 'meter must be a string');
  const meter = ctx.meter(meterKey);
  if (!meter) return reject(USAGE_REJECTIONS.unknownMeter, `meter ${shown(meterKey)} is not registered (GET /v1/meters lists the meters)`);

  if (typeof idempotencyKey !== 'string' || idempotencyKey.length < 1 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH || !storable(idempotencyKey)) {
    return reject(USAGE_REJECTIONS.invalidIdempotencyKey, `idempotencyKey must be a string of 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters (no NUL)`);
  }

  if (quantity === undefined || quantity === null) return reject(USAGE_REJECTIONS.invalidQuantity, 'quantity is required');
  const q = parseQuantity(quantity);
  if (!q.ok) return reject(USAGE_REJECTIONS.invalidQuantity, `quantity ${q.reason}`);

  if (timestamp === undefined || timestamp === null) return reject(USAGE_REJECTIONS.invalidTimestamp, 'timestamp is required');
  const ts = parseTimestamp(timestamp);
  if (!ts) return reject(USAGE_REJECTIONS.invalidTimestamp, 'timestamp must be an ISO 8601 date-time with offset, e.g. 2026-11-23T14:05:00Z');
  const now = ctx.now.getTime();
  if (ts.epochMs > now + FUTURE_TOLERANCE_MS) return reject(USAGE_REJECTIONS.timestampInFuture, 'timestamp is more than 5 minutes in the future');
  if (ts.epochMs < now - DEDUP_WINDOW_MS) return reject(USAGE_REJECTIONS.tooOld, 'timestamp is older than the 45-day deduplication window; such usage cannot be recorded');

  let propertiesJson: string | null = null;
  let canonical = '{}';
  if (properties !== undefined && properties !== null) {
    if (!isPlainObject(properties)) return reject(USAGE_REJECTIONS.invalidEvent, 'properties must be a JSON object');
    const plain = plainCanonicalJson(properties, 0);
    if (plain === NOT_PLAIN || plain === false) {
      const json = JSON.stringify(properties);
      if (Buffer.byteLength(json) > MAX_PROPERTIES_BYTES) return reject(USAGE_REJECTIONS.propertiesTooLarge, `properties must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`);
      if (!storableJson(properties)) return reject(USAGE_REJECTIONS.invalidEvent, PROPERTIES_NOT_STORABLE);
      if (Object.keys(properties).length > 0) {
        propertiesJson = json;
        canonical = canonicalJson(properties);
      }
    } else {
      // as long as JSON.stringify(properties): the same text with the keys sorted (UTF-8 is at most 3 bytes per UTF-16 unit)
      if ((plain.length > MAX_PROPERTIES_BYTES / 3 ? Buffer.byteLength(plain) : plain.length) > MAX_PROPERTIES_BYTES) {
        return reject(USAGE_REJECTIONS.propertiesTooLarge, `properties must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`);
      }
      if (plain !== '{}') {
        propertiesJson = plain;
        canonical = plain;
      }
    }
  }
  if (meter.aggregation === 'unique_count' && meter.valueProperty) {
    const counted = (properties as Record<string, unknown> | null | undefined)?.[meter.valueProperty];
    if (!['string', 'number', 'boolean'].includes(typeof counted)) {
      return reject(USAGE_REJECTIONS.invalidEvent, `properties.${meter.valueProperty} is required for meter ${shown(meter.key)}: it counts distinct values of it`);
    }
  }

  return {
    index, tenantId: tenant, meter: meter.key, quantity: q.text, occurredAt: ts.text, epochMs: ts.epochMs, micros: ts.micros, idempotencyKey,
    propertiesJson, contentHash: contentHash(meter.key, q.text, ts.text, canonical),
    seriesDimensions: isGauge(meter.aggregation) ? JSON.stringify(meter.dimensions) : null,
  };
}

export function isRejection(result: CheckedUsageEvent | UsageRejection): result is UsageRejection {
  return 'code' in result;
}
