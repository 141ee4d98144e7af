import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Gauge events (latest, time_weighted) carry their series — a SHA-256 of the meter's dimension
 * values in the event — written at ingestion, and a partial index over only those events holds
 * every column the gauge statements need, so they are index-only scans instead of one heap page
 * per sample. `usage_series` is the one definition of a series (ingestion and this backfill).
 * Run it with ingestion stopped: an event an older API writes meanwhile has no series and no gauge
 * query sees it. On a large table the backfill rewrites every gauge event once.
 */
export class UsageEventsGaugeSeries1763900000330 implements MigrationInterface {
  name = 'UsageEventsGaugeSeries1763900000330';

  async up(q: QueryRunner): Promise<void> {
    // The values as a text array (NULL for a missing one, so {"a": null} and {} are one series), hashed:
    // dimension values can be long, an index entry cannot.
    await q.query(`
      CREATE FUNCTION usage_series(properties jsonb, dimensions jsonb) RETURNS bytea
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT sha256(convert_to(ARRAY(SELECT properties ->> d.name FROM jsonb_array_elements_text(dimensions) WITH ORDINALITY AS d(name, n) ORDER BY d.n)::text, 'UTF8')) $$`);
    await q.query(`ALTER TABLE usage_events ADD COLUMN series bytea`);
    await q.query(`
      UPDATE usage_events e SET series = usage_series(e.properties, to_jsonb(m.dimensions))
        FROM meters m WHERE m.key = e.meter AND m.aggregation IN ('latest', 'time_weighted')`);
    await q.query(`
      CREATE INDEX usage_events_gauge_series ON usage_events (tenant_id, meter, occurred_at)
        INCLUDE (quantity, voided_at, received_at, idempotency_key, series) WHERE series IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX usage_events_gauge_series`);
    await q.query(`ALTER TABLE usage_events DROP COLUMN series`);
    await q.query(`DROP FUNCTION usage_series(jsonb, jsonb)`);
  }
}
