import type { Meter } from '../domain/meter';

export interface MeterView {
  key: string;
  unit: string;
  aggregation: Meter['aggregation'];
  description: string;
  valueProperty: string | null;
  dimensions: string[];
  /** 'operator' or 'plugin:<id>' */
  owner: string;
  createdAt: string;
}

export function toMeterView(m: Meter): MeterView {
  return {
    key: m.key, unit: m.unit, aggregation: m.aggregation, description: m.description, valueProperty: m.valueProperty,
    dimensions: [...m.dimensions], owner: m.owner, createdAt: m.createdAt.toISOString(),
  };
}

export interface QuotaView {
  tenantId: string;
  meter: string;
  hardLimit: string | null;
  softLimit: string | null;
  period: 'month';
  /** usage in the current period (for gauges: the current level) */
  used: string;
  currentPeriod: { from: string; to: string };
  createdAt: string;
  updatedAt: string;
}

export interface VoidResult {
  /** events voided by this call or before */
  voided: number;
  /** keys with no event (never recorded, or older than the 45-day window) */
  notFound: string[];
  /** keys whose event lies in an invoiced period: not voided (correct those with a credit note) */
  invoiced: string[];
}
