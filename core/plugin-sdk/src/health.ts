import type { PluginContext } from './context';
import type { InstanceRef } from './provisioning';

export interface HealthStatus {
  status: 'healthy' | 'degraded' | 'unhealthy';
  /** short, human, no secrets */
  message?: string;
  /** e.g. per upstream node: { 'http://gpu-1:11434': 'healthy' } */
  details?: Record<string, string>;
  checkedAt: string;
}

export interface HealthCheck<Options = Record<string, unknown>> {
  /** without `ref`: the service as a whole; with `ref`: one instance */
  check(ctx: PluginContext<Options>, ref?: InstanceRef): Promise<HealthStatus>;
}
