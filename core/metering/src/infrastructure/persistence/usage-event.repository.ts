import { Injectable } from '@nestjs/common';
import { entityManagerOf, Tx } from '@werkbank/kernel';
import type { DataSource } from 'typeorm';
import type { CheckedUsageEvent } from '../../domain/usage-event';

export interface StoredKey {
  idempotencyKey: string;
  occurredAt: Date;
}

@Injectable()
export class UsageEventRepository {
  /**
   * Records a batch in one statement: the dedup rows are inserted (ON CONFLICT DO NOTHING: the
   * unique key decides between concurrent copies) and only the winners go into usage_events.
   * `events` must hold each (tenant, key) once. Returns the indexes of the events recorded.
   * Rows are inserted in (tenant, key) order, so concurrent batches wait on each other instead
   * of deadlocking.
   */
  async record(tx: Tx, events: readonly CheckedUsageEvent[], receivedAt: Date): Promise<number[]> {
    if (events.length === 0) return [];
    const rows: Array<{ ord: number }> = await entityManagerOf(tx).query(
      `WITH input AS (
         SELECT * FROM unnest($1::int[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::numeric[], $7::jsonb[], $8::text[])
           AS i(ord, tenant_id, idempotency_key, meter, occurred_at, quantity, properties, content_hash)
       ), won AS (
         INSERT INTO usage_dedup (tenant_id, idempotency_key, content_hash, occurred_at)
         SELECT tenant_id, idempotency_key, decode(content_hash, 'hex'), occurred_at FROM input ORDER BY tenant_id, idempotency_key
         ON CONFLICT DO NOTHING
         RETURNING tenant_id, idempotency_key
       ), stored AS (
         INSERT INTO usage_events (tenant_id, meter, occurred_at, quantity, idempotency_key, properties, received_at)
         SELECT i.tenant_id, i.meter, i.occurred_at, i.quantity, i.idempotency_key, i.properties, $9
           FROM input i JOIN won w USING (tenant_id, idempotency_key)
         RETURNING 1
       )
       SELECT i.ord FROM input i JOIN won w USING (tenant_id, idempotency_key)`,
      [
        events.map((e) => e.index), events.map((e) => e.tenantId), events.map((e) => e.idempotencyKey), events.map((e) => e.meter),
        events.map((e) => e.occurredAt), events.map((e) => e.quantity), events.map((e) => e.propertiesJson), events.map((e) => e.contentHash),
        receivedAt,
      ],
    );
    return rows.map((r) => Number(r.ord));
  }

  /** The content hashes already recorded for these keys (after a lost insert race or a re-send). */
  async recordedHashes(tx: Tx, keys: ReadonlyArray<{ tenantId: string; idempotencyKey: string }>): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const rows: Array<{ tenant_id: string; idempotency_key: string; hash: string }> = await entityManagerOf(tx).query(
      `SELECT d.tenant_id, d.idempotency_key, encode(d.content_hash, 'hex') AS hash
         FROM usage_dedup d JOIN unnest($1::uuid[], $2::text[]) AS k(tenant_id, idempotency_key) USING (tenant_id, idempotency_key)`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.idempotencyKey)],
    );
    return new Map(rows.map((r) => [dedupKey(r.tenant_id, r.idempotency_key), r.hash]));
  }

  /** The events of these keys that were recorded (voided or not), with their event time. */
  async findKeys(tx: Tx, tenantId: string, keys: readonly string[]): Promise<StoredKey[]> {
    const rows: Array<{ idempotency_key: string; occurred_at: Date }> = await entityManagerOf(tx).query(
      `SELECT idempotency_key, occurred_at FROM usage_dedup WHERE tenant_id = $1 AND idempotency_key = ANY($2::text[])`,
      [tenantId, keys],
    );
    return rows.map((r) => ({ idempotencyKey: r.idempotency_key, occurredAt: new Date(r.occurred_at) }));
  }

  /** Marks these events voided (queries leave them out); returns those that were not voided before. */
  async void(tx: Tx, tenantId: string, keys: readonly StoredKey[], at: Date): Promise<Array<{ idempotencyKey: string; meter: string; occurredAt: Date }>> {
    if (keys.length === 0) return [];
    const rows: Array<{ idempotency_key: string; meter: string; occurred_at: Date }> = await entityManagerOf(tx).query(
      `WITH voided AS (
         UPDATE usage_events e SET voided_at = $4
           FROM unnest($2::text[], $3::timestamptz[]) AS k(idempotency_key, occurred_at)
          WHERE e.tenant_id = $1 AND e.idempotency_key = k.idempotency_key AND e.occurred_at = k.occurred_at AND e.voided_at IS NULL
          RETURNING e.idempotency_key, e.meter, e.occurred_at
       ) SELECT * FROM voided`,
      [tenantId, keys.map((k) => k.idempotencyKey), keys.map((k) => k.occurredAt), at],
    );
    return rows.map((r) => ({ idempotencyKey: r.idempotency_key, meter: r.meter, occurredAt: new Date(r.occurred_at) }));
  }
}

export function dedupKey(tenantId: string, idempotencyKey: string): string {
  return `${tenantId.toLowerCase()}\u0000${idempotencyKey}`;
}

/** Forgets dedup rows of events older than `before`, in slices (such events are refused as too old anyway). */
export async function pruneUsageDedup(dataSource: DataSource, before: Date, slice = 10_000): Promise<number> {
  let total = 0;
  for (;;) {
    const result: [unknown[], number] = await dataSource.query(
      `DELETE FROM usage_dedup WHERE ctid IN (SELECT ctid FROM usage_dedup WHERE occurred_at < $1 LIMIT $2)`,
      [before, slice],
    );
    const deleted = Array.isArray(result) ? Number(result[1] ?? 0) : 0;
    total += deleted;
    if (deleted < slice) return total;
  }
}
