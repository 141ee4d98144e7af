import { readIntegerVariables } from '@werkbank/kernel';

/** Tunables of metering (environment variables, documented in README). */
export interface MeteringConfig {
  /** how often the worker runs the plugins' usage collectors */
  collectIntervalMs: number;
  /** windows end this long before now, so a service has counted what happened */
  collectLagMs: number;
  /** longest window one collector call covers; a backlog is caught up window by window */
  collectMaxWindowMs: number;
}

export const METERING_CONFIG = Symbol('METERING_CONFIG');

export const METERING_VARIABLES = ['METERING_COLLECT_INTERVAL_MS', 'METERING_COLLECT_LAG_MS', 'METERING_COLLECT_MAX_WINDOW_MS'] as const;

export function loadMeteringConfig(env: Record<string, string | undefined> = process.env): MeteringConfig {
  return readIntegerVariables(env, {
    collectIntervalMs: ['METERING_COLLECT_INTERVAL_MS', 60_000, 100],
    collectLagMs: ['METERING_COLLECT_LAG_MS', 60_000, 0],
    collectMaxWindowMs: ['METERING_COLLECT_MAX_WINDOW_MS', 3_600_000, 1000],
  });
}
