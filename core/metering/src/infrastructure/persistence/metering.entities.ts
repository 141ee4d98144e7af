import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Aggregation } from '../../domain/meter';

// Only the plain tables are entities; usage_events (partitioned) and usage_dedup are written
// and read with SQL of their own (batched unnest inserts, aggregations).

@Entity({ name: 'meters' })
export class MeterEntity {
  @PrimaryColumn('text') key!: string;
  @Column('text') unit!: string;
  @Column('text') aggregation!: Aggregation;
  @Column('text') description!: string;
  @Column('text', { name: 'value_property', nullable: true }) valueProperty!: string | null;
  @Column('text', { array: true }) dimensions!: string[];
  @Column('text') owner!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

@Entity({ name: 'quotas' })
export class QuotaEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' }) tenantId!: string;
  @PrimaryColumn('text') meter!: string;
  @Column('numeric', { name: 'hard_limit', nullable: true }) hardLimit!: string | null;
  @Column('numeric', { name: 'soft_limit', nullable: true }) softLimit!: string | null;
  @Column('text') period!: 'month';
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

@Entity({ name: 'usage_collection_watermarks' })
export class CollectionWatermarkEntity {
  @PrimaryColumn('uuid', { name: 'instance_id' }) instanceId!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text', { name: 'plugin_id' }) pluginId!: string;
  @Column('timestamptz', { name: 'collected_until' }) collectedUntil!: Date;
  /** the end of the instance's life (its gauges' closing samples): set by the final collection, never collected again */
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt!: Date | null;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

export const METERING_ENTITIES = [MeterEntity, QuotaEntity, CollectionWatermarkEntity];
