/** How a meter's events become one number per period and group. */
export const AGGREGATIONS = ['sum', 'count', 'max', 'unique_count', 'latest', 'time_weighted'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Gauges: their events are levels of a series (the tenant and the meter's dimension values), not increments. */
export function isGauge(aggregation: Aggregation): boolean {
  return aggregation === 'latest' || aggregation === 'time_weighted';
}

/** groupBy values with a meaning of their own; a dimension cannot be named like them. */
export const RESERVED_GROUPS = ['meter', 'day', 'hour'] as const;

export const METER_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
export const DIMENSION_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export interface MeterDefinitionInput {
  key: string;
  unit: string;
  aggregation: Aggregation;
  description: string;
  valueProperty?: string | null;
  dimensions?: readonly string[] | null;
}

/** A meter as metering stores it. `owner` is 'operator' or 'plugin:<id>'. */
export interface Meter {
  key: string;
  unit: string;
  aggregation: Aggregation;
  description: string;
  valueProperty: string | null;
  dimensions: string[];
  owner: string;
  createdAt: Date;
}

export function pluginOwner(pluginId: string): string {
  return `plugin:${pluginId}`;
}

/** The field that makes two definitions of one key mean different quantities, if any. */
export function conflictingField(existing: Pick<Meter, 'unit' | 'aggregation' | 'valueProperty'>, incoming: MeterDefinitionInput): 'unit' | 'aggregation' | 'valueProperty' | undefined {
  if (existing.unit !== incoming.unit) return 'unit';
  if (existing.aggregation !== incoming.aggregation) return 'aggregation';
  if (existing.aggregation === 'unique_count' && existing.valueProperty !== (incoming.valueProperty ?? null)) return 'valueProperty';
  return undefined;
}

/** Same key, unit, aggregation, description, value property and dimensions (in any order). */
export function sameDefinition(existing: Meter, incoming: MeterDefinitionInput): boolean {
  const a = [...existing.dimensions].sort();
  const b = [...(incoming.dimensions ?? [])].sort();
  return existing.key === incoming.key && existing.unit === incoming.unit && existing.aggregation === incoming.aggregation
    && existing.description === incoming.description && existing.valueProperty === (incoming.valueProperty ?? null)
    && a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Rules beyond field formats: a unique_count meter names the property it counts; dimensions are unique and not reserved. */
export function definitionProblems(input: MeterDefinitionInput): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  if (input.aggregation === 'unique_count' && !input.valueProperty) {
    problems.push({ field: 'valueProperty', message: 'valueProperty is required for aggregation unique_count: the property whose distinct values are counted' });
  }
  const dims = input.dimensions ?? [];
  if (new Set(dims).size !== dims.length) problems.push({ field: 'dimensions', message: 'dimensions must not repeat a name' });
  const reserved = dims.filter((d) => (RESERVED_GROUPS as readonly string[]).includes(d));
  if (reserved.length) problems.push({ field: 'dimensions', message: `${reserved.join(', ')} cannot be a dimension: groupBy uses the name itself` });
  return problems;
}
