import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The events of `sum` and `count` meters added up per tenant, meter and UTC day — `usage_rollup`,
 * written by the ingest statement in the same transaction as the events (one row per tenant, meter
 * and day of each batch: appended, so concurrent batches never wait on each other's rows), by voids
 * (the voided events as a negative row) and folded into one row per day by metering's
 * maintenance. A usage question grouped by meter reads whole days from here and only the slices of
 * its range that are not whole UTC days from the events (docs/metering.md). The backfill below is
 * the rollup's definition (`USAGE_ROLLUP_OF_EVENTS`); run the migration with ingestion stopped, as
 * an event an older API writes meanwhile would be missing from the rollup.
 */
export const USAGE_ROLLUP_OF_EVENTS = `
  SELECT e.tenant_id, e.meter, (e.occurred_at AT TIME ZONE 'UTC')::date AS day, sum(e.quantity) AS quantity, count(*) AS events
    FROM usage_events e JOIN meters m ON m.key = e.meter AND m.aggregation IN ('sum', 'count')
   WHERE e.voided_at IS NULL
   GROUP BY 1, 2, 3`;
export const USAGE_ROLLUP_REBUILD = `INSERT INTO usage_rollup (tenant_id, meter, day, quantity, events) ${USAGE_ROLLUP_OF_EVENTS}`;

export class UsageRollup1763900000600 implements MigrationInterface {
  name = 'UsageRollup1763900000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE usage_rollup (
        tenant_id uuid NOT NULL,
        meter text NOT NULL,
        day date NOT NULL,
        quantity numeric NOT NULL,
        events bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX usage_rollup_tenant_meter_day ON usage_rollup (tenant_id, meter, day) INCLUDE (quantity, events)`);
    // the days maintenance folds are found without reading the whole table
    await q.query(`CREATE INDEX usage_rollup_day ON usage_rollup USING brin (day)`);
    await q.query(USAGE_ROLLUP_REBUILD);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE usage_rollup`);
  }
}
