import { MigrationInterface, QueryRunner } from 'typeorm';
import { monthsAround, partitionDdl } from '../usage-partitions.sql';

export class MeteringInit1763900000300 implements MigrationInterface {
  name = 'MeteringInit1763900000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE meters (
      key text PRIMARY KEY,
      unit text NOT NULL,
      aggregation text NOT NULL CHECK (aggregation IN ('sum', 'count', 'max', 'unique_count', 'latest', 'time_weighted')),
      description text NOT NULL,
      value_property text,
      dimensions text[] NOT NULL DEFAULT '{}',
      owner text NOT NULL CHECK (owner = 'operator' OR owner LIKE 'plugin:%'),
      created_at timestamptz NOT NULL,
      CHECK (aggregation <> 'unique_count' OR value_property IS NOT NULL)
    )`);
    // One row per (tenant, idempotency key) of the last 45 days: the unique constraint decides
    // between concurrent copies of an event. Not partitioned by event time, so it spans months.
    await q.query(`CREATE TABLE usage_dedup (
      tenant_id uuid NOT NULL,
      idempotency_key text NOT NULL,
      content_hash bytea NOT NULL,
      occurred_at timestamptz NOT NULL,
      PRIMARY KEY (tenant_id, idempotency_key)
    )`);
    await q.query(`CREATE INDEX usage_dedup_occurred ON usage_dedup (occurred_at)`);
    // The events, partitioned by month of the event time; no default partition (a default
    // partition holding rows of a month blocks creating that month's partition later).
    await q.query(`CREATE TABLE usage_events (
      tenant_id uuid NOT NULL,
      meter text NOT NULL,
      occurred_at timestamptz NOT NULL,
      quantity numeric NOT NULL CHECK (quantity >= 0),
      idempotency_key text NOT NULL,
      properties jsonb,
      received_at timestamptz NOT NULL,
      voided_at timestamptz
    ) PARTITION BY RANGE (occurred_at)`);
    await q.query(`CREATE INDEX usage_events_tenant_meter_time ON usage_events (tenant_id, meter, occurred_at)`);
    for (const key of monthsAround(new Date(), 2, 3)) await q.query(partitionDdl(key));

    await q.query(`CREATE TABLE quotas (
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      meter text NOT NULL REFERENCES meters(key),
      hard_limit numeric CHECK (hard_limit >= 0),
      soft_limit numeric CHECK (soft_limit >= 0),
      period text NOT NULL DEFAULT 'month' CHECK (period = 'month'),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (tenant_id, meter),
      CHECK (hard_limit IS NOT NULL OR soft_limit IS NOT NULL)
    )`);
    // One outbox event per threshold, limit and period: a redelivered or repeated check emits nothing new.
    await q.query(`CREATE TABLE quota_notifications (
      tenant_id uuid NOT NULL,
      meter text NOT NULL,
      period_start timestamptz NOT NULL,
      limit_kind text NOT NULL CHECK (limit_kind IN ('soft', 'hard')),
      threshold int NOT NULL,
      limit_value numeric NOT NULL,
      reached_at timestamptz NOT NULL,
      PRIMARY KEY (tenant_id, meter, period_start, limit_kind, threshold, limit_value)
    )`);
    await q.query(`CREATE TABLE usage_collection_watermarks (
      instance_id uuid PRIMARY KEY,
      tenant_id uuid NOT NULL,
      plugin_id text NOT NULL,
      collected_until timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['usage_collection_watermarks', 'quota_notifications', 'quotas', 'usage_events', 'usage_dedup', 'meters']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
