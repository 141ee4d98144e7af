import { Injectable, Module } from '@nestjs/common';
import { TransactionRunner } from '@werkbank/kernel';
import type { ServiceMode } from '@werkbank/plugin-sdk';
import { ServiceInstanceRepository } from '../infrastructure/persistence/service-instance.repository';

/** A service instance as other contexts (metering's collection) see it: what it is and where it lives. */
export interface InstanceAtService {
  instanceId: string;
  tenantId: string;
  pluginId: string;
  mode: ServiceMode;
  /** '' when provisioning never completed: nothing existed at the service */
  externalId: string;
  metadata: Record<string, unknown>;
  /** when the instance was requested: nothing was used before */
  createdAt: Date;
}

/** A service instance that exists at its service. */
export interface ActiveInstance extends InstanceAtService {
  state: 'active' | 'suspending' | 'suspended' | 'resuming';
}

/**
 * Provisioning's public read side for other contexts: the instances that are provisioned at their
 * service (active, or suspended but still holding data that may be billed), oldest first.
 */
@Injectable()
export class ActiveInstances {
  constructor(private readonly instances: ServiceInstanceRepository, private readonly tx: TransactionRunner) {}

  async list(options: { pluginIds?: readonly string[] } = {}): Promise<ActiveInstance[]> {
    const rows = await this.instances.provisioned(this.tx.reader(), options.pluginIds);
    return rows.map((i) => ({
      instanceId: i.id, tenantId: i.tenantId, pluginId: i.pluginId, mode: i.mode, externalId: i.externalId ?? '',
      metadata: { ...(i.metadata as Record<string, unknown>) }, state: i.state as ActiveInstance['state'], createdAt: new Date(i.createdAt),
    }));
  }
}

/** `ActiveInstances` for the api, worker and gateway processes, without the rest of provisioning. */
@Module({
  providers: [ServiceInstanceRepository, ActiveInstances],
  exports: [ActiveInstances],
})
export class ActiveInstancesModule {}
