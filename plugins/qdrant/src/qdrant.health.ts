import type { HealthCheck, HealthStatus, InstanceRef, PluginContext } from '@werkbank/plugin-sdk';
import type { QdrantOptions } from './manifest';
import { QdrantClient } from './qdrant.client';
import { namespaceOf } from './qdrant.namespace';

/**
 * The shared Qdrant (GET /readyz, its version from GET /, and one call with the operator's
 * api-key), or one instance (its collections). Reports problems; does not throw them.
 */
export class QdrantHealthCheck implements HealthCheck<QdrantOptions> {
  async check(ctx: PluginContext<QdrantOptions>, ref?: InstanceRef): Promise<HealthStatus> {
    const checkedAt = ctx.now().toISOString();
    const client = new QdrantClient(ctx);
    try {
      if (!ref) {
        await client.ready();
        const version = await client.version();
        await client.collectionNames();
        return { status: 'healthy', message: `Qdrant ${version ?? '(version unknown)'}`, details: { [ctx.options.url]: 'healthy' }, checkedAt };
      }
      const namespace = namespaceOf(ref.tenant.slug, ref.instanceId);
      const collections = (await client.collectionNames()).filter((name) => name.startsWith(namespace)).length;
      return { status: 'healthy', details: { collections: String(collections) }, checkedAt };
    } catch (error) {
      return { status: 'unhealthy', message: error instanceof Error ? error.message : 'health check failed', checkedAt };
    }
  }
}
