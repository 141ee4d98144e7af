/** Structured logging for plugins; the host adds the plugin id and redacts secrets. */
export interface PluginLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What the host hands to every plugin call. Plugins reach nothing else of the core. */
export interface PluginContext<Options = Record<string, unknown>> {
  pluginId: string;
  /** the operator's options, validated against `manifest.optionsSchema` */
  options: Options;
  logger: PluginLogger;
  /** the injected clock: use it instead of Date.now() so tests can travel in time */
  now(): Date;
  /** aborted when the step times out or the worker shuts down */
  signal: AbortSignal;
}
