import type { HealthCheck, HealthStatus, InstanceRef, PluginContext } from '@werkbank/plugin-sdk';
import { SearxngClient } from './searxng.client';
import type { SearxngOptions } from './manifest';

/** The service as a whole (GET /health), or one instance's project. Reports problems; does not throw them. */
export class SearxngHealthCheck implements HealthCheck<SearxngOptions> {
  async check(ctx: PluginContext<SearxngOptions>, ref?: InstanceRef): Promise<HealthStatus> {
    const checkedAt = ctx.now().toISOString();
    const client = new SearxngClient(ctx);
    try {
      if (!ref) {
        await client.health();
        return { status: 'healthy', checkedAt };
      }
      const project = ref.externalId ? await client.getProject(ref.externalId) : undefined;
      if (!project) return { status: 'unhealthy', message: 'the project does not exist at the service', checkedAt };
      return project.status === 'active' ? { status: 'healthy', checkedAt } : { status: 'degraded', message: `the project is ${project.status}`, checkedAt };
    } catch (error) {
      return { status: 'unhealthy', message: error instanceof Error ? error.message : 'health check failed', checkedAt };
    }
  }
}
