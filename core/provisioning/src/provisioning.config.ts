import { readIntegerVariables } from '@werkbank/kernel';

/** Tunables of the provisioning engine (environment variables, documented in README). */
export interface ProvisioningConfig {
  /** attempts per step for RetryableError before the instance fails */
  maxAttempts: number;
  /** first retry delay; doubles each attempt */
  retryDelayMs: number;
  /** a plugin call longer than this is aborted (and retried) */
  stepTimeoutMs: number;
  /** how often the reconciliation loop runs */
  reconcileIntervalMs: number;
  /** how often a settled instance is checked at the service for drift */
  inspectIntervalMs: number;
  /** BullMQ lock: a job whose worker died is taken over after about this long */
  jobLockMs: number;
  concurrency: number;
}

export const PROVISIONING_CONFIG = Symbol('PROVISIONING_CONFIG');

export const PROVISIONING_VARIABLES = [
  'PROVISIONING_MAX_ATTEMPTS', 'PROVISIONING_RETRY_DELAY_MS', 'PROVISIONING_STEP_TIMEOUT_MS', 'PROVISIONING_RECONCILE_INTERVAL_MS',
  'PROVISIONING_INSPECT_INTERVAL_MS', 'PROVISIONING_JOB_LOCK_MS', 'PROVISIONING_CONCURRENCY',
] as const;

export function loadProvisioningConfig(env: Record<string, string | undefined> = process.env): ProvisioningConfig {
  return readIntegerVariables(env, {
    maxAttempts: ['PROVISIONING_MAX_ATTEMPTS', 8, 1],
    retryDelayMs: ['PROVISIONING_RETRY_DELAY_MS', 2000, 1],
    stepTimeoutMs: ['PROVISIONING_STEP_TIMEOUT_MS', 120_000, 100],
    reconcileIntervalMs: ['PROVISIONING_RECONCILE_INTERVAL_MS', 30_000, 50],
    inspectIntervalMs: ['PROVISIONING_INSPECT_INTERVAL_MS', 300_000, 50],
    jobLockMs: ['PROVISIONING_JOB_LOCK_MS', 30_000, 500],
    concurrency: ['PROVISIONING_CONCURRENCY', 4, 1],
  });
}
