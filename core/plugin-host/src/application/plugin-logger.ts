import type { PluginLogger } from '@werkbank/plugin-sdk';
import { redactFields, redactText } from '../domain/secrets';

/** Where plugin log lines go: Nest's `Logger` (pino in the processes) fits. */
export interface LogSink {
  debug(message: unknown): void;
  log(message: unknown): void;
  warn(message: unknown): void;
  error(message: unknown): void;
}

/**
 * The logger a plugin gets: every line carries the plugin id (`[ollama] …` and `plugin`), fields
 * named like secrets are masked, and the plugin's secret option values are cut out of messages
 * and fields, whatever the plugin passes.
 */
export function createPluginLogger(pluginId: string, sink: LogSink, secrets: readonly string[]): PluginLogger {
  const write = (level: keyof LogSink, message: string, fields?: Record<string, unknown>) => {
    const safe = fields ? (redactFields(fields, secrets) as Record<string, unknown>) : {};
    sink[level]({ ...safe, plugin: pluginId, msg: `[${pluginId}] ${redactText(String(message), secrets)}` });
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('log', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
