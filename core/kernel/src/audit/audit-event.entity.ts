import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'audit_events' })
@Index('audit_events_tenant', ['tenantId', 'id'])
export class AuditEventEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt!: Date;
  @Column('text', { name: 'actor_type' }) actorType!: string;
  @Column('text', { name: 'actor_id' }) actorId!: string;
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId!: string | null;
  @Column('text') action!: string;
  @Column('text', { name: 'target_type' }) targetType!: string;
  @Column('text', { name: 'target_id', nullable: true }) targetId!: string | null;
  @Column('jsonb', { default: {} }) data!: object;
  @Column('text', { name: 'request_id', nullable: true }) requestId!: string | null;
}
