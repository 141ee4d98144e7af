import { Injectable } from '@nestjs/common';
import { entityManagerOf, Tx } from '@werkbank/kernel';

/** A gauge meter as the closing of an instance needs it: its key and declared dimensions. */
export interface GaugeMeter {
  key: string;
  dimensions: readonly string[];
}

/** One series of a gauge: the meter and its dimension values (null where an event lacks one). */
export interface GaugeSeries {
  meter: string;
  values: Array<string | null>;
}

@Injectable()
export class CollectionWatermarkRepository {
  /** Creates the instance's watermark at `start` unless it has one. */
  async ensure(tx: Tx, instance: { instanceId: string; tenantId: string; pluginId: string }, start: Date, now: Date): Promise<void> {
    await entityManagerOf(tx).query(
      `INSERT INTO usage_collection_watermarks (instance_id, tenant_id, plugin_id, collected_until, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [instance.instanceId, instance.tenantId, instance.pluginId, start, now],
    );
  }

  /**
   * Locks the instance's watermark for this collection (another worker skips the instance meanwhile);
   * null when locked elsewhere, or when the instance is closed (its final collection ran).
   */
  async lock(tx: Tx, instanceId: string): Promise<Date | null> {
    const rows: Array<{ collected_until: Date }> = await entityManagerOf(tx).query(
      `SELECT collected_until FROM usage_collection_watermarks WHERE instance_id = $1 AND closed_at IS NULL FOR UPDATE SKIP LOCKED`,
      [instanceId],
    );
    return rows.length ? new Date(rows[0].collected_until) : null;
  }

  /** Locks the watermark for the final collection, closed or not; null when a scheduled collection holds it. */
  async lockForClosing(tx: Tx, instanceId: string): Promise<{ collectedUntil: Date; closedAt: Date | null } | null> {
    const rows: Array<{ collected_until: Date; closed_at: Date | null }> = await entityManagerOf(tx).query(
      `SELECT collected_until, closed_at FROM usage_collection_watermarks WHERE instance_id = $1 FOR UPDATE SKIP LOCKED`,
      [instanceId],
    );
    if (!rows.length) return null;
    return { collectedUntil: new Date(rows[0].collected_until), closedAt: rows[0].closed_at ? new Date(rows[0].closed_at) : null };
  }

  async advance(tx: Tx, instanceId: string, to: Date, now: Date): Promise<void> {
    await entityManagerOf(tx).query(`UPDATE usage_collection_watermarks SET collected_until = $2, updated_at = $3 WHERE instance_id = $1`, [instanceId, to, now]);
  }

  /** Marks the instance's collection finished at `closedAt` (its gauges' closing samples are recorded). */
  async close(tx: Tx, instanceId: string, closedAt: Date, now: Date): Promise<void> {
    await entityManagerOf(tx).query(`UPDATE usage_collection_watermarks SET closed_at = $2, updated_at = $3 WHERE instance_id = $1`, [instanceId, closedAt, now]);
  }

  /**
   * The series of these gauges with a (not voided) sample of the tenant in [from, to]: per meter,
   * the values of its declared dimensions, as the usage query forms a series.
   */
  async gaugeSeries(tx: Tx, tenantId: string, meters: readonly GaugeMeter[], from: Date, to: Date): Promise<GaugeSeries[]> {
    if (meters.length === 0) return [];
    const rows: Array<{ meter: string; series: Array<string | null> }> = await entityManagerOf(tx).query(
      `WITH m AS (SELECT * FROM unnest($2::text[], $3::text[]) AS m(key, dims))
       SELECT DISTINCT e.meter, ARRAY(SELECT e.properties ->> d FROM jsonb_array_elements_text(m.dims::jsonb) d) AS series
         FROM usage_events e JOIN m ON m.key = e.meter
        WHERE e.tenant_id = $1 AND e.occurred_at >= $4 AND e.occurred_at <= $5 AND e.voided_at IS NULL
        ORDER BY 1, 2`,
      [tenantId, meters.map((m) => m.key), meters.map((m) => JSON.stringify(m.dimensions)), from, to],
    );
    return rows.map((r) => ({ meter: r.meter, values: r.series }));
  }
}
