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
  /**
   * Gateway keys for the tenants of this plugin's instances (since SDK 1.2). A plugin with
   * gateway routes issues one in `provision` and returns it in `ProvisionResult.credentials`.
   */
  gatewayKeys: GatewayKeyIssuer;
}

/** A tenant's key for the metering gateway, as `GatewayKeyIssuer.issue` returns it. */
export interface IssuedGatewayKey {
  /** the key's id (not secret): shown in key listings */
  keyId: string;
  /** the key itself: put it into `ProvisionResult.credentials`; the core stores only its hash */
  key: string;
  /** the scope it carries: `gateway:<pluginId>` */
  scope: string;
}

/**
 * Gateway keys bound to one service instance. The core stores, caches and revokes them: while
 * the instance is suspended the gateway refuses its key (403 `service.suspended`), and when the
 * instance is deprovisioned its key is revoked.
 */
export interface GatewayKeyIssuer {
  /**
   * Issues the instance's key, scope `gateway:<pluginId>`, for the instance's tenant. An
   * instance has at most one valid key: issuing again revokes the earlier one, so a retried
   * provision or a credential rotation leaves exactly one.
   */
  issue(ref: { instanceId: string; tenantId: string }): Promise<IssuedGatewayKey>;
  /** revokes the instance's key; succeeds when it has none */
  revoke(instanceId: string): Promise<void>;
}
