import type { Aggregation } from './meter';

/** How a usage answer is split: per meter, per local day or hour, or per value of a dimension. */
export type GroupBy = { kind: 'meter' } | { kind: 'day' } | { kind: 'hour' } | { kind: 'dimension'; name: string };

export function parseGroupBy(value: string | undefined): GroupBy {
  if (value === undefined || value === 'meter') return { kind: 'meter' };
  if (value === 'day' || value === 'hour') return { kind: value };
  return { kind: 'dimension', name: value };
}

/** One number of a usage answer: `value` is a decimal string. */
export interface UsageItem {
  meter: string;
  /** null when grouped by meter; '2026-11-23' (day), '2026-11-23T14' (hour), or the dimension's value (null when an event lacks it) */
  group: string | null;
  value: string;
}

/** What the aggregation SQL needs of a meter. */
export interface MeterSpec {
  key: string;
  aggregation: Aggregation;
  valueProperty: string | null;
  dimensions: readonly string[];
}

/** A usage question over tenants and a time range `[from, to)`; gauges are integrated up to `until` (now, at most `to`). */
export interface UsageScope {
  tenantIds: readonly string[];
  from: Date;
  to: Date;
  until: Date;
  timeZone: string;
  groupBy: GroupBy;
}

/** How far back a gauge's last sample is carried forward into a range (the deduplication window). */
export const GAUGE_LOOKBACK_MS = 45 * 86_400_000;

export function compareItems(a: UsageItem, b: UsageItem): number {
  if (a.meter !== b.meter) return a.meter < b.meter ? -1 : 1;
  if (a.group === b.group) return 0;
  if (a.group === null) return -1;
  if (b.group === null) return 1;
  return a.group < b.group ? -1 : 1;
}
