import { defineServicePlugin } from '@werkbank/plugin-sdk';
import { SearxngHealthCheck } from './searxng.health';
import { SearxngProvisioner } from './searxng.provisioner';
import { SearxngUsageCollector } from './searxng.usage-collector';
import { manifest, type SearxngOptions } from './manifest';

/** The Searxng plugin; the plugin host loads the package's default export. */
const plugin = defineServicePlugin<SearxngOptions>({
  manifest,
  provisioner: new SearxngProvisioner(),
  usageCollector: new SearxngUsageCollector(),
  health: new SearxngHealthCheck(),
});

export default plugin;
export { manifest };
export type { SearxngOptions };
