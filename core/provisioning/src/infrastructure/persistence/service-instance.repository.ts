import { Injectable } from '@nestjs/common';
import { entityManagerOf, Tx, uuidv7 } from '@werkbank/kernel';
import type { InstanceState } from '../../domain/instance-state';
import { ServiceInstanceEntity, ServiceInstanceTransitionEntity } from './service-instance.entity';

@Injectable()
export class ServiceInstanceRepository {
  async insert(tx: Tx, instance: ServiceInstanceEntity): Promise<void> {
    await entityManagerOf(tx).insert(ServiceInstanceEntity, instance);
  }
  async save(tx: Tx, instance: ServiceInstanceEntity): Promise<void> {
    await entityManagerOf(tx).save(ServiceInstanceEntity, instance);
  }
  async findById(tx: Tx, id: string): Promise<ServiceInstanceEntity | null> {
    return entityManagerOf(tx).findOne(ServiceInstanceEntity, { where: { id } });
  }
  async lockById(tx: Tx, id: string): Promise<ServiceInstanceEntity | null> {
    return entityManagerOf(tx).findOne(ServiceInstanceEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }
  async findLive(tx: Tx, tenantId: string, pluginId: string): Promise<ServiceInstanceEntity | null> {
    return entityManagerOf(tx).createQueryBuilder(ServiceInstanceEntity, 'i')
      .where(`i.tenant_id = :tenantId AND i.plugin_id = :pluginId AND i.state <> 'deprovisioned'`, { tenantId, pluginId }).getOne();
  }
  async listOfTenant(tx: Tx, tenantId: string, afterId: string | undefined, limit: number): Promise<ServiceInstanceEntity[]> {
    const qb = entityManagerOf(tx).createQueryBuilder(ServiceInstanceEntity, 'i').where('i.tenant_id = :tenantId', { tenantId }).orderBy('i.id', 'ASC').limit(limit + 1);
    if (afterId) qb.andWhere('i.id > :afterId', { afterId });
    return qb.getMany();
  }
  /** Live instances of these tenants (for tenant suspension and resumption). */
  async liveOfTenants(tx: Tx, tenantIds: string[]): Promise<ServiceInstanceEntity[]> {
    if (tenantIds.length === 0) return [];
    return entityManagerOf(tx).createQueryBuilder(ServiceInstanceEntity, 'i')
      .where(`i.tenant_id IN (:...tenantIds) AND i.state NOT IN ('deprovisioned')`, { tenantIds })
      .setLock('pessimistic_write').getMany();
  }
  /** Instances that exist at their service (active or suspended, or moving between the two), oldest first. */
  async provisioned(tx: Tx, pluginIds?: readonly string[]): Promise<ServiceInstanceEntity[]> {
    const qb = entityManagerOf(tx).createQueryBuilder(ServiceInstanceEntity, 'i')
      .where(`i.state IN ('active', 'suspending', 'suspended', 'resuming')`)
      .orderBy('i.id', 'ASC');
    if (pluginIds) qb.andWhere('i.plugin_id IN (:...pluginIds)', { pluginIds: pluginIds.length ? [...pluginIds] : [''] });
    return qb.getMany();
  }
  /** Instances whose state is not where it should be and that did not move for `olderThan`. */
  async unsettled(tx: Tx, olderThan: Date, limit: number): Promise<ServiceInstanceEntity[]> {
    return entityManagerOf(tx).createQueryBuilder(ServiceInstanceEntity, 'i')
      .where(`i.updated_at < :olderThan`, { olderThan })
      .andWhere(`(i.state IN ('requested', 'provisioning', 'suspending', 'resuming', 'deprovisioning')
        OR (i.desired_state = 'active' AND i.state = 'suspended')
        OR (i.desired_state = 'suspended' AND i.state = 'active')
        OR (i.desired_state = 'deprovisioned' AND i.state NOT IN ('deprovisioned')))`)
      .orderBy('i.updated_at', 'ASC').limit(limit).getMany();
  }
  /** Settled instances due for a drift check at the service. */
  async dueForInspection(tx: Tx, before: Date, limit: number): Promise<ServiceInstanceEntity[]> {
    return entityManagerOf(tx).createQueryBuilder(ServiceInstanceEntity, 'i')
      .where(`i.state IN ('active', 'suspended') AND i.desired_state = i.state`)
      .andWhere('(i.last_inspected_at IS NULL OR i.last_inspected_at < :before)', { before })
      .orderBy('i.last_inspected_at', 'ASC', 'NULLS FIRST').limit(limit).getMany();
  }
  async markInspected(tx: Tx, id: string, at: Date): Promise<void> {
    await entityManagerOf(tx).update(ServiceInstanceEntity, { id }, { lastInspectedAt: at });
  }
  async addTransition(tx: Tx, entry: { instanceId: string; from: InstanceState; to: InstanceState; at: Date; reason?: string | null; error?: string | null; attempt?: number | null }): Promise<void> {
    await entityManagerOf(tx).insert(ServiceInstanceTransitionEntity, {
      id: uuidv7(entry.at.getTime()), instanceId: entry.instanceId, fromState: entry.from, toState: entry.to, at: entry.at,
      reason: entry.reason ?? null, error: entry.error ?? null, attempt: entry.attempt ?? null,
    });
  }
  /** When the tenant lost access: the instance's first move to `deprovisioning` or `failed` (neither ever leads back to use). */
  async endOfUse(tx: Tx, instanceId: string): Promise<Date | null> {
    const rows: Array<{ at: Date | null }> = await entityManagerOf(tx).query(
      `SELECT min(at) AS at FROM service_instance_transitions WHERE instance_id = $1 AND to_state IN ('deprovisioning', 'failed') AND from_state <> to_state`,
      [instanceId]);
    return rows[0]?.at ? new Date(rows[0].at) : null;
  }
  async history(tx: Tx, instanceId: string): Promise<ServiceInstanceTransitionEntity[]> {
    return entityManagerOf(tx).find(ServiceInstanceTransitionEntity, { where: { instanceId }, order: { id: 'ASC' } });
  }
}
