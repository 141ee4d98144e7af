import type { HealthCheck, HealthStatus, InstanceRef, PluginContext } from '@werkbank/plugin-sdk';
import { displayUrl, SearxngClient } from './searxng.client';
import type { SearxngOptions } from './manifest';

/**
 * Health from SearXNG's own `GET /healthz`: 2xx is healthy, anything else (or no answer within
 * a few seconds) unhealthy with the reason. An instance is a gateway key on the shared
 * SearXNG, so its health is the service's. Reports problems; does not throw them.
 */
export class SearxngHealthCheck implements HealthCheck<SearxngOptions> {
  async check(ctx: PluginContext<SearxngOptions>, ref?: InstanceRef): Promise<HealthStatus> {
    const where = displayUrl(ctx.options.url);
    const scope = ref ? 'the shared SearXNG of this instance' : 'SearXNG';
    try {
      await new SearxngClient(ctx).healthz();
      return { status: 'healthy', message: `${scope} answers /healthz`, details: { [where]: 'healthy' }, checkedAt: ctx.now().toISOString() };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { status: 'unhealthy', message, details: { [where]: 'unhealthy' }, checkedAt: ctx.now().toISOString() };
    }
  }
}
