import { Injectable } from '@nestjs/common';
import { ProblemException, Problems, Tx } from '@werkbank/kernel';
import { Permission, TenancyPrincipal, TenantDirectory, TenantSummary } from '@werkbank/tenancy';
import type { ServiceInstanceEntity } from '../infrastructure/persistence/service-instance.entity';
import { ServiceInstanceRepository } from '../infrastructure/persistence/service-instance.repository';

export const serviceNotFound = () => Problems.notFound('service.not_found', 'Service');

/** Loads an instance the caller may act on, with tenancy's 404/403 rules. */
@Injectable()
export class ServiceAccess {
  constructor(private readonly instances: ServiceInstanceRepository, private readonly tenants: TenantDirectory) {}

  async require(tx: Tx, principal: TenancyPrincipal, instanceId: string, permission: Permission, options: { lock?: boolean; active?: boolean } = {}): Promise<{ instance: ServiceInstanceEntity; tenant: TenantSummary }> {
    const instance = options.lock ? await this.instances.lockById(tx, instanceId) : await this.instances.findById(tx, instanceId);
    if (!instance) throw serviceNotFound();
    try {
      const tenant = await this.tenants.requireAccess(tx, principal, instance.tenantId, permission, { active: options.active });
      return { instance, tenant };
    } catch (error) {
      // The service of an invisible tenant does not exist for this caller.
      if (error instanceof ProblemException && error.code === 'tenant.not_found') throw serviceNotFound();
      throw error;
    }
  }
}
