import { defineServicePlugin } from '@werkbank/plugin-sdk';
import { gateway } from './searxng.gateway';
import { SearxngHealthCheck } from './searxng.health';
import { SearxngProvisioner } from './searxng.provisioner';
import { manifest, type SearxngOptions } from './manifest';

/** The SearXNG plugin; the plugin host loads the package's default export. */
const plugin = defineServicePlugin<SearxngOptions>({
  manifest,
  provisioner: new SearxngProvisioner(),
  gateway,
  health: new SearxngHealthCheck(),
});

export default plugin;
export { manifest };
export type { SearxngOptions };
