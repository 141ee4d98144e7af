import type { MeterAggregation, MeterDefinition, PriceSuggestion } from '@werkbank/plugin-sdk';

/** Who declared a meter: a plugin's manifest, or (later, persisted by metering) the operator. */
export type MeterOwner = { kind: 'plugin'; pluginId: string } | { kind: 'operator' };

export interface RegisteredMeter extends MeterDefinition {
  /** everyone who declared this key, first declarer first; all agree on unit and aggregation */
  declaredBy: MeterOwner[];
}

export interface RegisteredPriceSuggestion extends PriceSuggestion {
  pluginId: string;
}

/** The same key declared twice with a different meaning: billing would mix two quantities. */
export interface MeterConflict {
  key: string;
  /** index in the meters passed to `declare` */
  index: number;
  property: 'unit' | 'aggregation';
  existing: string;
  incoming: string;
  existingOwner: MeterOwner;
}

export function describeMeterOwner(owner: MeterOwner): string {
  return owner.kind === 'plugin' ? `plugin "${owner.pluginId}"` : 'the operator';
}

const ownerKey = (owner: MeterOwner): string => (owner.kind === 'plugin' ? `plugin:${owner.pluginId}` : 'operator');

/**
 * Every meter and suggested price known to this process. In memory: the plugins' manifests are
 * declared at start-up. Metering can later declare the operator's persisted meters first
 * (`declare({ kind: 'operator' }, …)`); a plugin then adopts a matching meter and conflicts with
 * a different one, through the same check.
 */
export class MeterRegistry {
  private readonly byKey = new Map<string, RegisteredMeter>();
  private readonly prices: RegisteredPriceSuggestion[] = [];

  /** Declares meters for `owner`. All or nothing: with any conflict nothing is registered. */
  declare(owner: MeterOwner, meters: readonly MeterDefinition[]): MeterConflict[] {
    const conflicts: MeterConflict[] = [];
    meters.forEach((meter, index) => {
      const existing = this.byKey.get(meter.key);
      if (!existing) return;
      for (const property of ['unit', 'aggregation'] as const) {
        if (existing[property] !== meter[property]) {
          conflicts.push({ key: meter.key, index, property, existing: existing[property], incoming: meter[property], existingOwner: existing.declaredBy[0] });
        }
      }
    });
    if (conflicts.length > 0) return conflicts;
    for (const meter of meters) {
      const existing = this.byKey.get(meter.key);
      if (existing) {
        if (!existing.declaredBy.some((o) => ownerKey(o) === ownerKey(owner))) existing.declaredBy.push(owner);
      } else {
        this.byKey.set(meter.key, { ...copyMeter(meter), declaredBy: [owner] });
      }
    }
    return [];
  }

  suggestPrices(pluginId: string, prices: readonly PriceSuggestion[]): void {
    for (const price of prices) this.prices.push({ ...price, ...(price.dimensions ? { dimensions: { ...price.dimensions } } : {}), pluginId });
  }

  meters(): RegisteredMeter[] {
    return [...this.byKey.keys()].map((key) => this.meter(key)!);
  }

  meter(key: string): RegisteredMeter | undefined {
    const meter = this.byKey.get(key);
    return meter && { ...copyMeter(meter), declaredBy: meter.declaredBy.map((o) => ({ ...o })) };
  }

  /** Suggested prices, optionally for one meter only. */
  priceSuggestions(meterKey?: string): RegisteredPriceSuggestion[] {
    return this.prices.filter((p) => meterKey === undefined || p.meter === meterKey).map((p) => ({ ...p, ...(p.dimensions ? { dimensions: { ...p.dimensions } } : {}) }));
  }
}

function copyMeter(meter: MeterDefinition): MeterDefinition {
  const copy: MeterDefinition = { key: meter.key, unit: meter.unit, aggregation: meter.aggregation as MeterAggregation, description: meter.description };
  if (meter.dimensions) copy.dimensions = [...meter.dimensions];
  if (meter.valueProperty) copy.valueProperty = meter.valueProperty;
  return copy;
}
