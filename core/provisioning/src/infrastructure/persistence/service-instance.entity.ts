import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { DesiredState, InstanceState } from '../../domain/instance-state';

@Entity({ name: 'service_instances' })
export class ServiceInstanceEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text', { name: 'plugin_id' }) pluginId!: string;
  @Column('text') mode!: 'shared' | 'dedicated';
  @Column('jsonb') options!: object;
  @Column('text') state!: InstanceState;
  @Column('text', { name: 'desired_state' }) desiredState!: DesiredState;
  /** bumped whenever a new step is decided; part of the request key */
  @Column('int') generation!: number;
  /** bumped when the reconciliation loop re-queues a lost job (a new BullMQ job id, same request key) */
  @Column('int') epoch!: number;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason!: string | null;
  @Column('text', { name: 'external_id', nullable: true }) externalId!: string | null;
  @Column('jsonb') endpoints!: object;
  @Column('jsonb') metadata!: object;
  @Column('jsonb') entitlements!: object;
  @Column('text', { name: 'credentials_sealed', nullable: true }) credentialsSealed!: string | null;
  @Column('timestamptz', { name: 'credentials_revealed_at', nullable: true }) credentialsRevealedAt!: Date | null;
  @Column('timestamptz', { name: 'last_inspected_at', nullable: true }) lastInspectedAt!: Date | null;
  /** suspended because its tenant was: resumed with the tenant, unlike one its owner suspended */
  @Column('boolean', { name: 'held_by_tenant' }) heldByTenant!: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

@Entity({ name: 'service_instance_transitions' })
export class ServiceInstanceTransitionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'instance_id' }) instanceId!: string;
  @Column('text', { name: 'from_state' }) fromState!: string;
  @Column('text', { name: 'to_state' }) toState!: string;
  @Column('timestamptz') at!: Date;
  @Column('text', { nullable: true }) reason!: string | null;
  @Column('text', { nullable: true }) error!: string | null;
  @Column('int', { nullable: true }) attempt!: number | null;
}

export const PROVISIONING_ENTITIES = [ServiceInstanceEntity, ServiceInstanceTransitionEntity];
