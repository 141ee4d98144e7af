import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { createValidationPipe, IdempotencyInterceptor, KernelModule, ProblemFilter, WerkbankConfig } from '@werkbank/kernel';
import { MeteringConfig, MeteringModule } from '@werkbank/metering';
import { PluginHostModule, type PluginCandidate } from '@werkbank/plugin-host';
import { ProvisioningModule, ProvisioningConfig } from '@werkbank/provisioning';
import { TenancyModule } from '@werkbank/tenancy';
import { dataSourceOptions } from './data-source';
import { WorkerCoreModule } from './worker.module';

export interface ApiModuleOptions {
  /** providers replaced after wiring, e.g. the mailer in tests */
  overrides?: Array<{ provide: unknown; useValue: unknown }>;
  /** these plugins instead of discovery (tests, the plugin testkit) */
  plugins?: PluginCandidate[];
  /** where plugin variables (WERKBANK_PLUGIN_*) are read; default process.env */
  pluginEnv?: Record<string, string | undefined>;
  /** also run the worker's parts in this process (tests, the plugin testkit) */
  worker?: boolean;
  provisioning?: ProvisioningConfig;
  /** metering's tunables instead of METERING_* from the environment (tests, the plugin testkit) */
  metering?: MeteringConfig;
}

/** The API process: every context's HTTP side, wired. */
@Module({})
export class ApiModule {
  static forRoot(config: WerkbankConfig, options: ApiModuleOptions = {}): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl), retryAttempts: 3 }),
        KernelModule.forRoot(config, { overrides: options.overrides ?? [] }),
        PluginHostModule.forRoot({ plugins: options.plugins, env: options.pluginEnv }),
        TenancyModule,
        ProvisioningModule.forRoot({ http: true, worker: options.worker, config: options.provisioning }),
        MeteringModule.forRoot({ http: true, config: options.metering }),
        ...(options.worker ? [WorkerCoreModule.forRoot({ provisioning: options.provisioning, metering: options.metering })] : []),
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
