import { Injectable } from '@nestjs/common';
import { DomainEventConsumer, PublishedEvent, Tx } from '@werkbank/kernel';
import { TenantDirectory } from '@werkbank/tenancy';
import { ServiceInstanceRepository } from '../../infrastructure/persistence/service-instance.repository';
import { InstanceLifecycle, PendingStep } from '../instance-lifecycle';

/**
 * A tenant's status reaches its services: suspension suspends every instance in its subtree,
 * resumption resumes those the suspension held (not the ones their owner suspended), closing
 * deprovisions them.
 */
@Injectable()
export class TenantServicesFollower implements DomainEventConsumer {
  readonly name = 'provisioning.tenant-services-follower';

  constructor(
    private readonly tenants: TenantDirectory,
    private readonly instances: ServiceInstanceRepository,
    private readonly lifecycle: InstanceLifecycle,
  ) {}

  handles(type: string): boolean {
    return type === 'tenancy.tenant_suspended' || type === 'tenancy.tenant_resumed' || type === 'tenancy.tenant_closed';
  }

  async handle(tx: Tx, event: PublishedEvent): Promise<() => Promise<void>> {
    const tenantId = String(event.payload.tenantId);
    const subtree = await this.tenants.subtreeIds(tx, tenantId);
    const steps: Array<PendingStep | null> = [];
    for (const instance of await this.instances.liveOfTenants(tx, subtree)) {
      if (event.type === 'tenancy.tenant_suspended') {
        if (instance.desiredState !== 'active') continue;
        instance.heldByTenant = true;
        steps.push(await this.lifecycle.steer(tx, instance, 'suspended', `tenant suspended: ${String(event.payload.reason ?? 'no reason given')}`));
      } else if (event.type === 'tenancy.tenant_resumed') {
        if (!instance.heldByTenant || !(await this.tenants.isActive(tx, instance.tenantId))) continue;
        instance.heldByTenant = false;
        steps.push(await this.lifecycle.steer(tx, instance, 'active', 'tenant resumed'));
      } else {
        steps.push(await this.lifecycle.steer(tx, instance, 'deprovisioned', 'tenant closed'));
      }
    }
    return () => this.lifecycle.dispatch(steps);
  }
}
