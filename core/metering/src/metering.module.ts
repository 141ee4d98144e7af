import { DynamicModule, Module, Provider } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ActiveInstancesModule, ENTITLEMENT_QUOTAS, FINAL_USAGE_COLLECTION } from '@werkbank/provisioning';
import { TenantDirectoryModule } from '@werkbank/tenancy';
import { METER_HANDLERS } from './application/commands/meter.handlers';
import { QUOTA_HANDLERS } from './application/commands/quota.handlers';
import { USAGE_HANDLERS } from './application/commands/usage.handlers';
import { MeteringMaintenance } from './application/collection/metering-maintenance';
import { UsageCollectionRuntime } from './application/collection/usage-collection.runtime';
import { QuotaThresholdWatcher } from './application/consumers/quota-threshold.consumer';
import { EntitlementQuotas } from './application/entitlement-quotas';
import { EntitlementsService } from './application/entitlements.service';
import { InvoicedPeriods } from './application/invoiced-periods';
import { MeterCatalog } from './application/meter-catalog';
import { MeterSynchronizer } from './application/meter-synchronizer';
import { QuotaThresholds } from './application/quota-thresholds';
import { UsageIngestion } from './application/usage-ingestion';
import { UsageQueryService } from './application/usage-query.service';
import { MetersController } from './infrastructure/http/meters.controller';
import { QuotasController } from './infrastructure/http/quotas.controller';
import { UsageController } from './infrastructure/http/usage.controller';
import { CollectionWatermarkRepository } from './infrastructure/persistence/collection-watermark.repository';
import { MeterRepository } from './infrastructure/persistence/meter.repository';
import { QuotaRepository } from './infrastructure/persistence/quota.repository';
import { UsageEventRepository } from './infrastructure/persistence/usage-event.repository';
import { UsagePartitions } from './infrastructure/persistence/usage-partitions';
import { UsageQueryRepository } from './infrastructure/persistence/usage-query.repository';
import { loadMeteringConfig, METERING_CONFIG, MeteringConfig } from './metering.config';

const CORE: Provider[] = [
  MeterRepository, UsageEventRepository, UsageQueryRepository, QuotaRepository, UsagePartitions,
  MeterCatalog, MeterSynchronizer, UsageIngestion, UsageQueryService, EntitlementsService, QuotaThresholds, InvoicedPeriods,
  // provisioning's quota entitlements land here (provisioning cannot import metering)
  EntitlementQuotas, { provide: ENTITLEMENT_QUOTAS, useExisting: EntitlementQuotas },
];

/**
 * Meters, usage ingestion, usage queries, quotas and entitlements. Always: `UsageIngestion`,
 * `EntitlementsService` and `UsageQueryService` (exported, e.g. for the gateway), and the plugin
 * meters written at start-up. `http`: the API's routes. `worker`: pull collection, the quota
 * threshold consumer and maintenance (the worker process; tests may run both).
 */
@Module({})
export class MeteringModule {
  static forRoot(options: { http?: boolean; worker?: boolean; config?: MeteringConfig } = {}): DynamicModule {
    const config = options.config ?? loadMeteringConfig();
    return {
      module: MeteringModule,
      imports: [CqrsModule, TenantDirectoryModule, ...(options.worker ? [ActiveInstancesModule] : [])],
      controllers: options.http ? [MetersController, UsageController, QuotasController] : [],
      providers: [
        { provide: METERING_CONFIG, useValue: config },
        ...CORE,
        ...(options.http ? [...METER_HANDLERS, ...USAGE_HANDLERS, ...QUOTA_HANDLERS] : []),
        ...(options.worker ? [
          CollectionWatermarkRepository, UsageCollectionRuntime, QuotaThresholdWatcher, MeteringMaintenance,
          // provisioning's deprovision step runs the final collection here (provisioning cannot import metering)
          { provide: FINAL_USAGE_COLLECTION, useExisting: UsageCollectionRuntime },
        ] : []),
      ],
      exports: [UsageIngestion, EntitlementsService, UsageQueryService, ...(options.worker ? [QuotaThresholdWatcher, UsageCollectionRuntime] : [])],
    };
  }
}
