import type { PluginContext } from './context';
import type { InstanceRef } from './provisioning';

/** One usage observation. Plain data: quantity is a decimal string. */
export interface UsageRecord {
  /** a key the plugin declared in `manifest.meters` */
  meter: string;
  /** decimal string, e.g. '1500' or '0.25' */
  quantity: string;
  /** ISO 8601 with offset, when the usage happened */
  timestamp: string;
  /** stable for the same observation: re-collecting a window yields the same keys */
  idempotencyKey: string;
  /** dimension values and details, e.g. { model: 'llama3' }; at most 4 KiB as JSON */
  properties?: Record<string, string | number | boolean>;
}

/** `from` inclusive, `to` exclusive. */
export interface UsageWindow {
  from: Date;
  to: Date;
}

/** For services that count for themselves: the worker pulls each window exactly once. */
export interface UsageCollector<Options = Record<string, unknown>> {
  collect(ctx: PluginContext<Options>, ref: InstanceRef, window: UsageWindow): AsyncIterable<UsageRecord>;
}

/** For services metered in flight: the core hands the plugin a reporter. */
export interface UsageReporter {
  report(tenantId: string, records: UsageRecord[]): Promise<void>;
}
