import { Injectable } from '@nestjs/common';
import { entityManagerOf, Tx } from '@werkbank/kernel';

@Injectable()
export class CollectionWatermarkRepository {
  /** Creates the instance's watermark at `start` unless it has one. */
  async ensure(tx: Tx, instance: { instanceId: string; tenantId: string; pluginId: string }, start: Date, now: Date): Promise<void> {
    await entityManagerOf(tx).query(
      `INSERT INTO usage_collection_watermarks (instance_id, tenant_id, plugin_id, collected_until, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [instance.instanceId, instance.tenantId, instance.pluginId, start, now],
    );
  }

  /** Locks the instance's watermark for this collection (another worker skips the instance meanwhile); null when locked elsewhere. */
  async lock(tx: Tx, instanceId: string): Promise<Date | null> {
    const rows: Array<{ collected_until: Date }> = await entityManagerOf(tx).query(
      `SELECT collected_until FROM usage_collection_watermarks WHERE instance_id = $1 FOR UPDATE SKIP LOCKED`,
      [instanceId],
    );
    return rows.length ? new Date(rows[0].collected_until) : null;
  }

  async advance(tx: Tx, instanceId: string, to: Date, now: Date): Promise<void> {
    await entityManagerOf(tx).query(`UPDATE usage_collection_watermarks SET collected_until = $2, updated_at = $3 WHERE instance_id = $1`, [instanceId, to, now]);
  }
}
