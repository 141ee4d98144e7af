import type { HealthCheck, HealthStatus, InstanceRef, PluginContext } from '@werkbank/plugin-sdk';
import { displayUrl, nodeVersion } from './ollama.client';
import type { OllamaOptions } from './manifest';

/**
 * Health of the GPU pool: every node is asked for `GET /api/version` at once; `details` has one
 * entry per node. All answer: healthy; some: degraded (the gateway skips the others); none:
 * unhealthy. An instance is a gateway key on the shared pool, so its health is the pool's.
 */
export class OllamaHealthCheck implements HealthCheck<OllamaOptions> {
  async check(ctx: PluginContext<OllamaOptions>, ref?: InstanceRef): Promise<HealthStatus> {
    const nodes = ctx.options.upstreams;
    const results = await Promise.all(
      nodes.map(async (url) => {
        try {
          return { url, ok: true, text: `healthy (Ollama ${await nodeVersion(ctx, url)})` };
        } catch (error) {
          return { url, ok: false, text: `unhealthy: ${error instanceof Error ? error.message : String(error)}` };
        }
      }),
    );
    const details = Object.fromEntries(results.map((r) => [displayUrl(r.url), r.text]));
    const up = results.filter((r) => r.ok).length;
    const checkedAt = ctx.now().toISOString();
    const scope = ref ? 'the shared GPU pool of this instance' : 'the GPU pool';
    if (up === nodes.length) return { status: 'healthy', message: `${scope}: all ${up} Ollama node(s) answer`, details, checkedAt };
    if (up > 0) return { status: 'degraded', message: `${scope}: ${nodes.length - up} of ${nodes.length} Ollama nodes do not answer; requests go to the others`, details, checkedAt };
    return { status: 'unhealthy', message: `${scope}: no Ollama node answers`, details, checkedAt };
  }
}
