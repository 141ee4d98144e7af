import { Injectable } from '@nestjs/common';
import { entityManagerOf, Tx } from '@werkbank/kernel';
import type { Aggregation } from '../../domain/meter';
import type { Period } from '../../domain/periods';
import type { LimitKind, QuotaThreshold } from '../../domain/quota';

export interface QuotaRow {
  tenantId: string;
  meter: string;
  hardLimit: string | null;
  softLimit: string | null;
  aggregation: Aggregation;
  /** usage in the period for sum, count, max and unique_count meters; null for gauges */
  used: string | null;
  createdAt: Date;
  updatedAt: Date;
}

@Injectable()
export class QuotaRepository {
  /**
   * The tenant's quotas with what was used in `period`, in one statement (the entitlements path):
   * each quota's meter is aggregated over the tenant's events of the period. Gauges (latest,
   * time_weighted) come back with `used` null; their level is asked separately.
   */
  async withUsage(tx: Tx, tenantId: string, period: Period, meters?: readonly string[]): Promise<QuotaRow[]> {
    const rows: Array<{ meter: string; hard_limit: string | null; soft_limit: string | null; aggregation: Aggregation; used: string | null; created_at: Date; updated_at: Date }> =
      await entityManagerOf(tx).query(
        `SELECT q.meter, q.hard_limit::text, q.soft_limit::text, m.aggregation, q.created_at, q.updated_at,
                CASE WHEN m.aggregation IN ('latest', 'time_weighted') THEN NULL
                  -- sum, count and max need only what the usage index holds (an index-only scan); unique_count reads properties
                  WHEN m.aggregation = 'unique_count' THEN (
                    SELECT (count(DISTINCT e.properties ->> m.value_property) FILTER (WHERE e.properties ? m.value_property))::text
                      FROM usage_events e
                     WHERE e.tenant_id = q.tenant_id AND e.meter = q.meter AND e.occurred_at >= $2 AND e.occurred_at < $3 AND e.voided_at IS NULL)
                  ELSE (
                    SELECT (CASE m.aggregation WHEN 'sum' THEN coalesce(sum(e.quantity), 0) WHEN 'count' THEN count(*)::numeric ELSE coalesce(max(e.quantity), 0) END)::text
                      FROM usage_events e
                     WHERE e.tenant_id = q.tenant_id AND e.meter = q.meter AND e.occurred_at >= $2 AND e.occurred_at < $3 AND e.voided_at IS NULL)
                END AS used
           FROM quotas q JOIN meters m ON m.key = q.meter
          WHERE q.tenant_id = $1 AND ($4::text[] IS NULL OR q.meter = ANY($4::text[]))
          ORDER BY q.meter`,
        [tenantId, period.from, period.to, meters ? [...meters] : null],
      );
    return rows.map((r) => ({
      tenantId, meter: r.meter, hardLimit: r.hard_limit, softLimit: r.soft_limit, aggregation: r.aggregation, used: r.used,
      createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
    }));
  }

  /** Whether the tenant has a quota (on one of these meters). */
  async exists(tx: Tx, tenantId: string, meters?: readonly string[]): Promise<boolean> {
    const rows: unknown[] = await entityManagerOf(tx).query(
      `SELECT 1 FROM quotas WHERE tenant_id = $1 AND ($2::text[] IS NULL OR meter = ANY($2::text[])) LIMIT 1`,
      [tenantId, meters ? [...meters] : null],
    );
    return rows.length > 0;
  }

  async tenantsWithQuotas(tx: Tx, tenantIds: readonly string[]): Promise<Set<string>> {
    if (tenantIds.length === 0) return new Set();
    const rows: Array<{ tenant_id: string }> = await entityManagerOf(tx).query(
      `SELECT DISTINCT tenant_id FROM quotas WHERE tenant_id = ANY($1::uuid[])`,
      [[...new Set(tenantIds)]],
    );
    return new Set(rows.map((r) => r.tenant_id));
  }

  /** Creates or replaces the tenant's quota of a meter; true when it was created. */
  async upsert(tx: Tx, tenantId: string, meter: string, limits: { hardLimit: string | null; softLimit: string | null }, now: Date): Promise<boolean> {
    const rows: Array<{ created: boolean }> = await entityManagerOf(tx).query(
      `INSERT INTO quotas (tenant_id, meter, hard_limit, soft_limit, period, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'month', $5, $5)
       ON CONFLICT (tenant_id, meter) DO UPDATE SET hard_limit = EXCLUDED.hard_limit, soft_limit = EXCLUDED.soft_limit, updated_at = EXCLUDED.updated_at
       RETURNING (xmax = 0) AS created`,
      [tenantId, meter, limits.hardLimit, limits.softLimit, now],
    );
    return rows[0].created;
  }

  async delete(tx: Tx, tenantId: string, meter: string): Promise<boolean> {
    const rows: unknown[] = await entityManagerOf(tx).query(
      `WITH deleted AS (DELETE FROM quotas WHERE tenant_id = $1 AND meter = $2 RETURNING 1) SELECT * FROM deleted`,
      [tenantId, meter],
    );
    return rows.length > 0;
  }

  /** Remembers reached thresholds; returns those not reached before (one notification each). */
  async markReached(
    tx: Tx,
    tenantId: string,
    periodStart: Date,
    reached: ReadonlyArray<{ meter: string; limitKind: LimitKind; threshold: QuotaThreshold; limit: string }>,
    now: Date,
  ): Promise<Array<{ meter: string; limitKind: LimitKind; threshold: QuotaThreshold; limit: string }>> {
    if (reached.length === 0) return [];
    const rows: Array<{ meter: string; limit_kind: LimitKind; threshold: number; limit_value: string }> = await entityManagerOf(tx).query(
      `INSERT INTO quota_notifications (tenant_id, meter, period_start, limit_kind, threshold, limit_value, reached_at)
       SELECT $1, r.meter, $2, r.kind, r.threshold, r.limit_value, $7
         FROM unnest($3::text[], $4::text[], $5::int[], $6::numeric[]) AS r(meter, kind, threshold, limit_value)
       ON CONFLICT DO NOTHING
       RETURNING meter, limit_kind, threshold, limit_value::text`,
      [tenantId, periodStart, reached.map((r) => r.meter), reached.map((r) => r.limitKind), reached.map((r) => r.threshold), reached.map((r) => r.limit), now],
    );
    const key = (meter: string, kind: string, threshold: number) => `${meter}|${kind}|${threshold}`;
    const fresh = new Set(rows.map((r) => key(r.meter, r.limit_kind, Number(r.threshold))));
    return reached.filter((r) => fresh.has(key(r.meter, r.limitKind, r.threshold)));
  }
}
