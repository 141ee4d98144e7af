import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The end of an instance's collection: set once its final collection ran (deprovisioning) and
 * its gauges were ended; a closed watermark is never collected again.
 */
export class CollectionWatermarkClosed1763900000320 implements MigrationInterface {
  name = 'CollectionWatermarkClosed1763900000320';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE usage_collection_watermarks ADD COLUMN closed_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE usage_collection_watermarks DROP COLUMN closed_at`);
  }
}
