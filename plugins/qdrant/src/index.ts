import { defineServicePlugin } from '@werkbank/plugin-sdk';
import { manifest, type QdrantOptions } from './manifest';
import { qdrantGateway } from './qdrant.gateway';
import { QdrantHealthCheck } from './qdrant.health';
import { QdrantProvisioner } from './qdrant.provisioner';
import { QdrantUsageCollector } from './qdrant.usage-collector';

/** The Qdrant plugin; the plugin host loads the package's default export. */
const plugin = defineServicePlugin<QdrantOptions>({
  manifest,
  provisioner: new QdrantProvisioner(),
  usageCollector: new QdrantUsageCollector(),
  gateway: qdrantGateway,
  health: new QdrantHealthCheck(),
});

export default plugin;
export { manifest };
export type { QdrantOptions };
