import { defineServicePlugin } from '@werkbank/plugin-sdk';
import { OllamaHealthCheck } from './ollama.health';
import { OllamaProvisioner } from './ollama.provisioner';
import { OllamaUsageCollector } from './ollama.usage-collector';
import { manifest, type OllamaOptions } from './manifest';

/** The Ollama plugin; the plugin host loads the package's default export. */
const plugin = defineServicePlugin<OllamaOptions>({
  manifest,
  provisioner: new OllamaProvisioner(),
  usageCollector: new OllamaUsageCollector(),
  health: new OllamaHealthCheck(),
});

export default plugin;
export { manifest };
export type { OllamaOptions };
