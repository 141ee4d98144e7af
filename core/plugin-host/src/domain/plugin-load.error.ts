import { ConfigError } from '@werkbank/kernel';

/** One reason a plugin cannot be loaded, phrased for the operator. Never holds a secret value. */
export interface PluginProblem {
  /** the npm package, e.g. `@werkbank/plugin-ollama` */
  packageName: string;
  /** the plugin id, when it is known */
  pluginId?: string;
  /** what is wrong, as a path: `options.upstreams[0]`, `manifest.id`, `package` */
  field: string;
  /** what is wrong with it, e.g. `must match pattern "^https?://"` */
  problem: string;
  /** what the operator can do about it (a sentence naming the variable to change) */
  fix: string;
}

export function formatPluginProblem(p: PluginProblem): string {
  const who = p.pluginId ? `${p.packageName} (id "${p.pluginId}")` : p.packageName;
  return `${who}: ${p.field} ${p.problem}. ${p.fix}`;
}

/**
 * Start-up stops: one or more plugins are broken or misconfigured. Every problem of every plugin
 * is listed, so the operator fixes them in one go. A `ConfigError`, so the processes print it
 * as a configuration message (no stack trace) and exit 1.
 */
export class PluginLoadError extends ConfigError {
  constructor(readonly pluginProblems: PluginProblem[]) {
    super(pluginProblems.map(formatPluginProblem));
    this.name = 'PluginLoadError';
    const count = pluginProblems.length === 1 ? '1 problem' : `${pluginProblems.length} problems`;
    this.message =
      `Plugins could not be loaded (${count}):\n${this.problems.map((line) => `  - ${line}`).join('\n')}\n` +
      'See docs/plugins/configuration.md.';
  }
}
