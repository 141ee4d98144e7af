import { defineServicePlugin } from '@werkbank/plugin-sdk';
import { OllamaHealthCheck } from './ollama.health';
import { ollamaGateway } from './ollama.gateway';
import { OllamaProvisioner } from './ollama.provisioner';
import { manifest, type OllamaOptions } from './manifest';

/** The Ollama plugin; the plugin host loads the package's default export. */
const plugin = defineServicePlugin<OllamaOptions>({
  manifest,
  provisioner: new OllamaProvisioner(),
  gateway: ollamaGateway,
  health: new OllamaHealthCheck(),
});

export default plugin;
export { manifest };
export type { OllamaOptions };
