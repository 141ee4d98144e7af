// Helpers for the metering e2e suites: meters, events and usage questions through the HTTP API.
import type { IngestResult } from '@werkbank/metering';
import type { TestApp } from './test-app';

export interface MeterBody {
  key: string;
  unit: string;
  aggregation: 'sum' | 'count' | 'max' | 'unique_count' | 'latest' | 'time_weighted';
  description?: string;
  valueProperty?: string;
  dimensions?: string[];
}

/** Registers operator meters (201 or 200 when identical) with the operator admin. */
export async function registerMeters(t: TestApp, meters: MeterBody[]): Promise<void> {
  const admin = await t.adminToken();
  for (const m of meters) {
    const res = await t.http.post('/v1/meters').set(t.auth(admin)).send({ description: `${m.key} (test)`, ...m });
    if (res.status !== 201 && res.status !== 200) throw new Error(`registering ${m.key} failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

export type IngestAnswer = IngestResult;

/** POST /v1/usage/events; fails the test on anything but 200. */
export async function ingest(t: TestApp, token: string, events: unknown[]): Promise<IngestAnswer> {
  const res = await t.http.post('/v1/usage/events').set(t.auth(token)).send({ events });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body;
}

/** GET /v1/tenants/:id/usage as a map "meter|group" -> value. */
export async function usageOf(t: TestApp, token: string, tenantId: string, query: Record<string, string> = {}): Promise<Record<string, string>> {
  const res = await t.http.get(`/v1/tenants/${tenantId}/usage`).query(query).set(t.auth(token));
  if (res.status !== 200) throw new Error(`usage answered ${res.status}: ${JSON.stringify(res.body)}`);
  return Object.fromEntries((res.body.items as Array<{ meter: string; group: string | null; value: string }>).map((i) => [i.group === null ? i.meter : `${i.meter}|${i.group}`, i.value]));
}

/** Rows of the metering tables that hold events. */
export async function eventRows(t: TestApp): Promise<{ events: number; dedup: number }> {
  const [{ events, dedup }] = await t.dataSource.query(`SELECT (SELECT count(*) FROM usage_events)::int AS events, (SELECT count(*) FROM usage_dedup)::int AS dedup`);
  return { events, dedup };
}

/** An ISO timestamp `ms` before now (the environment's clock). */
export function ago(t: TestApp, ms: number): string {
  return new Date(t.clock.now().getTime() - ms).toISOString();
}

/** A small deterministic PRNG (mulberry32), so a failing fuzz or replay run can be repeated. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
