export * from './provisioning.module';
export * from './provisioning.config';
export * from './domain/instance-state';
export { TenantServicesFollower } from './application/consumers/tenant-status.consumer';
export { ProvisioningRuntime } from './application/provisioning.runtime';
export { provisioningQueueName } from './application/provisioning-queues';
export type { ServiceInstanceView } from './application/views';
export { ActiveInstances, ActiveInstancesModule } from './application/active-instances';
export type { ActiveInstance } from './application/active-instances';
import { PROVISIONING_ENTITIES } from './infrastructure/persistence/service-instance.entity';
import { ProvisioningInit1763900000200 } from './infrastructure/persistence/migrations/1763900000200-provisioning-init';

export { PROVISIONING_ENTITIES };
export const PROVISIONING_MIGRATIONS = [ProvisioningInit1763900000200];
