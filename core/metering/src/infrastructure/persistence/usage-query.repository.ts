import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { preparedQuery, Tx } from '@werkbank/kernel';
import { GAUGE_LOOKBACK_MS, MeterSpec, UsageScope } from '../../domain/usage-query';

export interface RawUsageRow {
  meter: string;
  grp: string | null;
  value: string;
}

const LOCAL_FORMAT = { day: 'YYYY-MM-DD', hour: 'YYYY-MM-DD"T"HH24' } as const;

/** Positional parameters collected while a statement is written. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The range, tenants and grouping every aggregation shares. */
function scopeSql(scope: UsageScope, p: Params) {
  const tenants = p.add(scope.tenantIds);
  const from = p.add(scope.from);
  const to = p.add(scope.to);
  const g = scope.groupBy;
  const tz = g.kind === 'day' || g.kind === 'hour' ? p.add(scope.timeZone) : null;
  const dim = g.kind === 'dimension' ? p.add(g.name) : null;
  /** the group of an event row `alias` */
  const groupOf = (alias: string): string =>
    g.kind === 'day' || g.kind === 'hour' ? `to_char(${alias}.occurred_at AT TIME ZONE ${tz}, '${LOCAL_FORMAT[g.kind]}')`
      : g.kind === 'dimension' ? `${alias}.properties ->> ${dim}` : 'NULL::text';
  return { tenants, from, to, tz, dim, groupOf };
}

/**
 * Which events a gauge statement reads: the meters' own, from the gauge index (partial: only gauge
 * events carry a series, written at ingestion from the meter's dimensions), which holds every column
 * the statements need but the properties — read from the table only to group by a dimension.
 */
function gaugeEvents(meters: string, s: { tenants: string }, from: string, to: string): string {
  return `usage_events e
         WHERE e.tenant_id = ANY(${s.tenants}::uuid[]) AND e.meter = ANY(${meters}::text[]) AND e.occurred_at >= ${from} AND e.occurred_at < ${to}
           AND e.voided_at IS NULL AND e.series IS NOT NULL`;
}

const names = new Map<string, string>();
/**
 * The statements are few (one per aggregation and kind of grouping; meters, tenants and range are
 * parameters) and run often: each is prepared once per connection and planned once, generically
 * (the same indexes serve every tenant and range; planning one custom plan of the whole statement
 * cost more than running it: docs/performance.md, usage-query).
 */
function run(tx: Tx, sql: string, values: unknown[]): Promise<RawUsageRow[]> {
  let name = names.get(sql);
  if (name === undefined) {
    name = `usage_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    names.set(sql, name);
  }
  return preparedQuery<RawUsageRow>(tx, name, sql, values, { plan: 'generic' });
}

/** The aggregations, in SQL over usage_events; voided events are left out everywhere. */
@Injectable()
export class UsageQueryRepository {
  /**
   * Every aggregation the meters need, as ONE statement (the parts below joined by UNION ALL): one
   * round trip and one connection per usage question instead of one per kind of aggregation.
   */
  async usage(tx: Tx, scope: UsageScope, meters: readonly MeterSpec[]): Promise<RawUsageRow[]> {
    const of = (...aggregations: MeterSpec['aggregation'][]) => meters.filter((m) => aggregations.includes(m.aggregation));
    return this.one(tx, scope, (p, s) => [
      ...simpleSql(p, s, scope, of('sum', 'count', 'max', 'unique_count')), latestSql(p, s, of('latest')), timeWeightedSql(p, s, scope, of('time_weighted')),
    ]);
  }

  /**
   * latest: per series (tenant and the meter's dimension values) the last sample of each group,
   * added up over the series (e.g. the points stored in every collection).
   */
  async latest(tx: Tx, scope: UsageScope, meters: readonly MeterSpec[]): Promise<RawUsageRow[]> {
    return this.one(tx, scope, (p, s) => [latestSql(p, s, meters)]);
  }

  /** The parts `build` writes (null: nothing to ask) as one statement. */
  private async one(tx: Tx, scope: UsageScope, build: (p: Params, s: Scope) => Array<string | null>): Promise<RawUsageRow[]> {
    const p = new Params();
    const s = scopeSql(scope, p);
    const parts = build(p, s).filter((part): part is string => part !== null);
    return parts.length === 0 ? [] : run(tx, parts.length === 1 ? parts[0] : parts.map((part) => `(${part})`).join('\n    UNION ALL\n'), p.values);
  }
}

type Scope = ReturnType<typeof scopeSql>;

/**
 * sum, count, max and unique_count: without properties (no unique_count, no grouping by a dimension)
 * the index holds every column needed (an index-only scan); the rest reads the events' properties.
 */
function simpleSql(p: Params, s: Scope, scope: UsageScope, meters: readonly MeterSpec[]): Array<string | null> {
  const fromIndex = scope.groupBy.kind === 'dimension' ? [] : meters.filter((m) => m.aggregation !== 'unique_count');
  const withProperties = meters.filter((m) => !fromIndex.includes(m));
  const days = scope.groupBy.kind === 'meter' ? wholeUtcDays(scope.from, scope.to) : null;
  const rolled = days ? fromIndex.filter((m) => m.aggregation === 'sum' || m.aggregation === 'count') : [];
  return [rollupSql(p, s, days, rolled), plainSql(p, s, fromIndex.filter((m) => !rolled.includes(m))), withPropertiesSql(p, s, withProperties)];
}

/** The whole UTC days inside [from, to): from the first midnight at or after `from` to the last at or before `to`; null when there is none. */
export function wholeUtcDays(from: Date, to: Date): { first: Date; end: Date } | null {
  const first = Math.ceil(from.getTime() / 86_400_000) * 86_400_000;
  const end = Math.floor(to.getTime() / 86_400_000) * 86_400_000;
  return first < end ? { first: new Date(first), end: new Date(end) } : null;
}

/**
 * sum and count grouped by meter: whole UTC days from usage_rollup (one row per tenant, meter and
 * day once maintenance has folded them), the slices of the range before the first and after the
 * last whole day from the usage index. A meter appears when it has events that are not voided
 * (`events` counts them, voids count negatively), as the statement over the events alone answers.
 */
function rollupSql(p: Params, s: Scope, days: { first: Date; end: Date } | null, meters: readonly MeterSpec[]): string | null {
  if (!days || meters.length === 0) return null;
  const keys = p.add(meters.map((m) => m.key));
  const aggregations = p.add(meters.map((m) => m.aggregation));
  const first = p.add(days.first);
  const end = p.add(days.end);
  const slice = (from: string, to: string) => `
      SELECT e.meter, e.quantity AS q, 1::bigint AS n FROM usage_events e
       WHERE e.tenant_id = ANY(${s.tenants}::uuid[]) AND e.meter = ANY(${keys}::text[]) AND e.occurred_at >= ${from} AND e.occurred_at < ${to} AND e.voided_at IS NULL`;
  return `
    SELECT x.meter, NULL::text AS grp, (CASE m.agg WHEN 'sum' THEN sum(x.q) ELSE sum(x.n)::numeric END)::text AS value
      FROM (
        SELECT r.meter, r.quantity AS q, r.events AS n FROM usage_rollup r
         WHERE r.tenant_id = ANY(${s.tenants}::uuid[]) AND r.meter = ANY(${keys}::text[])
           AND r.day >= (${first}::timestamptz AT TIME ZONE 'UTC')::date AND r.day < (${end}::timestamptz AT TIME ZONE 'UTC')::date
        UNION ALL${slice(s.from, `${first}::timestamptz`)}
        UNION ALL${slice(`${end}::timestamptz`, s.to)}
      ) x JOIN unnest(${keys}::text[], ${aggregations}::text[]) AS m(key, agg) ON m.key = x.meter
     GROUP BY x.meter, m.agg
    HAVING sum(x.n) > 0`;
}

/** sum, count and max from the columns the usage index includes (an index-only scan). */
function plainSql(p: Params, s: Scope, meters: readonly MeterSpec[]): string | null {
  if (meters.length === 0) return null;
  return `
    SELECT e.meter, ${s.groupOf('e')} AS grp,
           (CASE m.agg WHEN 'sum' THEN sum(e.quantity) WHEN 'count' THEN count(*)::numeric ELSE max(e.quantity) END)::text AS value
      FROM usage_events e
      JOIN unnest(${p.add(meters.map((m) => m.key))}::text[], ${p.add(meters.map((m) => m.aggregation))}::text[]) AS m(key, agg) ON m.key = e.meter
     WHERE e.tenant_id = ANY(${s.tenants}::uuid[]) AND e.occurred_at >= ${s.from} AND e.occurred_at < ${s.to} AND e.voided_at IS NULL
     GROUP BY e.meter, m.agg, grp`;
}

/** Any of sum, count, max and unique_count, also grouped by a dimension: reads the events' properties. */
function withPropertiesSql(p: Params, s: Scope, meters: readonly MeterSpec[]): string | null {
  if (meters.length === 0) return null;
  return `
    SELECT e.meter, ${s.groupOf('e')} AS grp,
           (CASE m.agg WHEN 'sum' THEN sum(e.quantity) WHEN 'count' THEN count(*)::numeric WHEN 'max' THEN max(e.quantity)
              ELSE (count(DISTINCT (e.tenant_id, e.properties ->> m.vp)) FILTER (WHERE m.agg = 'unique_count' AND e.properties ? m.vp))::numeric
            END)::text AS value
      FROM usage_events e
      JOIN unnest(${p.add(meters.map((m) => m.key))}::text[], ${p.add(meters.map((m) => m.aggregation))}::text[], ${p.add(meters.map((m) => m.valueProperty))}::text[]) AS m(key, agg, vp)
        ON m.key = e.meter
     WHERE e.tenant_id = ANY(${s.tenants}::uuid[]) AND e.occurred_at >= ${s.from} AND e.occurred_at < ${s.to} AND e.voided_at IS NULL
     GROUP BY e.meter, m.agg, grp`;
}

/** latest: per series the last sample of each group, added up over the series. */
function latestSql(p: Params, s: Scope, meters: readonly MeterSpec[]): string | null {
  if (meters.length === 0) return null;
  const keys = p.add(meters.map((m) => m.key));
  return `
    WITH s AS (
      SELECT e.meter, ${s.groupOf('e')} AS grp, e.tenant_id, e.series, e.quantity, e.occurred_at, e.received_at, e.idempotency_key
        FROM ${gaugeEvents(keys, s, s.from, s.to)}
    ), last AS (
      SELECT DISTINCT ON (meter, grp, tenant_id, series) meter, grp, quantity FROM s
       ORDER BY meter, grp, tenant_id, series, occurred_at DESC, received_at DESC, idempotency_key DESC
    )
    SELECT meter, grp, sum(quantity)::text AS value FROM last GROUP BY meter, grp`;
}

/**
 * time_weighted: per series the level is its last sample (the one before \`from\` carried in,
 * looking back 45 days), integrated over time up to \`until\` and divided by the bucket's length:
 * the average level over the bucket. Buckets are the range, or its local days or hours.
 */
function timeWeightedSql(p: Params, s: Scope, scope: UsageScope, meters: readonly MeterSpec[]): string | null {
  if (meters.length === 0) return null;
  const until = p.add(scope.until);
  const lookback = p.add(new Date(scope.from.getTime() - GAUGE_LOOKBACK_MS));
  const g = scope.groupBy;
  const buckets = g.kind === 'day' || g.kind === 'hour'
    // Steps of 15 minutes (every zone offset is a multiple of it) labelled with their local day
    // or hour: a 23- or 25-hour day, or an hour repeated at a DST change, stays one bucket.
    ? `steps AS (
         SELECT ${s.from}::timestamptz AS t
         UNION
         SELECT generate_series(date_bin('15 minutes', ${s.from}::timestamptz, TIMESTAMPTZ 'epoch') + interval '15 minutes',
                                ${s.to}::timestamptz - interval '1 microsecond', interval '15 minutes')
       ), labelled AS (
         SELECT to_char(t AT TIME ZONE ${s.tz}, '${LOCAL_FORMAT[g.kind]}') AS label, min(t) AS s FROM steps GROUP BY 1
       ), buckets AS (
         SELECT label, s, coalesce(lead(s) OVER (ORDER BY s), ${s.to}::timestamptz) AS e FROM labelled
       )`
    : `buckets AS (SELECT NULL::text AS label, ${s.from}::timestamptz AS s, ${s.to}::timestamptz AS e)`;
  const group = g.kind === 'day' || g.kind === 'hour' ? 'b.label' : g.kind === 'dimension' ? `seg.properties ->> ${s.dim}` : 'NULL::text';
  const keys = p.add(meters.map((m) => m.key));
  const properties = g.kind === 'dimension' ? 'e.properties' : 'NULL::jsonb';
  return `
    WITH samples AS (
      SELECT e.tenant_id, e.meter, e.series, e.occurred_at AS t, 1 AS rank, e.received_at, e.idempotency_key, e.quantity, ${properties} AS properties
        FROM ${gaugeEvents(keys, s, s.from, until)}
      UNION ALL
      (SELECT DISTINCT ON (e.tenant_id, e.meter, e.series) e.tenant_id, e.meter, e.series, ${s.from}::timestamptz, 0, e.received_at, e.idempotency_key, e.quantity, ${properties}
        FROM ${gaugeEvents(keys, s, lookback, s.from)}
       ORDER BY e.tenant_id, e.meter, e.series, e.occurred_at DESC, e.received_at DESC, e.idempotency_key DESC)
    ), seg AS (
      SELECT meter, quantity, properties, t AS s,
             coalesce(lead(t) OVER (PARTITION BY tenant_id, meter, series ORDER BY t, rank, received_at, idempotency_key), ${until}::timestamptz) AS e
        FROM samples
    ), ${buckets}
    SELECT seg.meter, ${group} AS grp,
           sum(seg.quantity * extract(epoch FROM least(seg.e, b.e) - greatest(seg.s, b.s)) / extract(epoch FROM b.e - b.s))::text AS value
      FROM seg JOIN buckets b ON seg.s < b.e AND seg.e > b.s AND seg.e > seg.s
     GROUP BY seg.meter, grp`;
}
