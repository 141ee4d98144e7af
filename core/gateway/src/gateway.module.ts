import { DynamicModule, InjectionToken, Module, Provider } from '@nestjs/common';
import { MeteringModule } from '@werkbank/metering';
import { GatewayKeyBindingsModule } from '@werkbank/provisioning';
import { TenantDirectoryModule } from '@werkbank/tenancy';
import { GATEWAY_CONFIG, GatewayConfig } from './gateway.config';
import { GATEWAY_READINESS_PROBES, GATEWAY_USAGE_SINK, GatewayReadinessProbes, GatewayRuntime } from './gateway.runtime';
import type { UsageSink } from './infrastructure/usage-ingestion-thread';

export interface GatewayCoreOptions {
  /** what /health/ready reports besides the journal (the process roots know their database and Redis) */
  readiness?: { inject: InjectionToken[]; useFactory: (...deps: never[]) => GatewayReadinessProbes };
  /** where usage batches go instead of `UsageIngestion` in this event loop (core/platform: a worker thread) */
  usageSink?: () => UsageSink;
}

/**
 * The metering gateway's parts for a process that already has the roots (database, kernel,
 * plugin host): key verification from tenancy, entitlements and ingestion from metering, and
 * the runtime that serves the plugins' routes. core/platform's GatewayModule adds the roots.
 */
@Module({})
export class GatewayCoreModule {
  static forRoot(config: GatewayConfig, options: GatewayCoreOptions = {}): DynamicModule {
    const providers: Provider[] = [{ provide: GATEWAY_CONFIG, useValue: config }, GatewayRuntime];
    if (options.readiness) providers.push({ provide: GATEWAY_READINESS_PROBES, ...options.readiness });
    if (options.usageSink) providers.push({ provide: GATEWAY_USAGE_SINK, useFactory: options.usageSink });
    return {
      module: GatewayCoreModule,
      imports: [TenantDirectoryModule, GatewayKeyBindingsModule, MeteringModule.forRoot({})],
      providers,
      exports: [GatewayRuntime],
    };
  }
}
