import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { TenantDirectoryModule } from '@werkbank/tenancy';
import { SERVICE_COMMAND_HANDLERS } from './application/commands/service.handlers';
import { TenantServicesFollower } from './application/consumers/tenant-status.consumer';
import { EntitlementQuotaSync } from './application/entitlement-quotas';
import { FinalUsage } from './application/final-usage';
import { GATEWAY_KEY_PROVIDERS } from './application/gateway-keys';
import { InstanceLifecycle } from './application/instance-lifecycle';
import { ProvisioningQueues } from './application/provisioning-queues';
import { ProvisioningRuntime } from './application/provisioning.runtime';
import { SERVICE_QUERY_HANDLERS } from './application/queries/service.queries';
import { ServiceAccess } from './application/service-access';
import { StepExecutor } from './application/step-executor';
import { ServicesController } from './infrastructure/http/services.controller';
import { ServiceInstanceRepository } from './infrastructure/persistence/service-instance.repository';
import { loadProvisioningConfig, PROVISIONING_CONFIG, ProvisioningConfig } from './provisioning.config';

const CORE = [ServiceInstanceRepository, InstanceLifecycle, ProvisioningQueues, ServiceAccess, EntitlementQuotaSync, ...GATEWAY_KEY_PROVIDERS];

/**
 * Service instances. `http`: the API's routes and commands. `worker`: the BullMQ processors,
 * the reconciliation loop and the tenant-status consumer (the worker process; tests may run both).
 */
@Module({})
export class ProvisioningModule {
  static forRoot(options: { http?: boolean; worker?: boolean; config?: ProvisioningConfig } = {}): DynamicModule {
    const config = options.config ?? loadProvisioningConfig();
    return {
      module: ProvisioningModule,
      imports: [CqrsModule, TenantDirectoryModule],
      controllers: options.http ? [ServicesController] : [],
      providers: [
        { provide: PROVISIONING_CONFIG, useValue: config },
        ...CORE,
        ...(options.http ? [...SERVICE_COMMAND_HANDLERS, ...SERVICE_QUERY_HANDLERS] : []),
        ...(options.worker ? [StepExecutor, FinalUsage, ProvisioningRuntime, TenantServicesFollower] : []),
      ],
      exports: options.worker ? [TenantServicesFollower, ProvisioningRuntime] : [],
    };
  }
}
