import { ConfigError } from '@werkbank/kernel';

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
  const problems: string[] = [];
  const int = (name: (typeof PROVISIONING_VARIABLES)[number], fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      problems.push(`${name} must be an integer >= ${min} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const config = {
    maxAttempts: int('PROVISIONING_MAX_ATTEMPTS', 8, 1),
    retryDelayMs: int('PROVISIONING_RETRY_DELAY_MS', 2000, 1),
    stepTimeoutMs: int('PROVISIONING_STEP_TIMEOUT_MS', 120_000, 100),
    reconcileIntervalMs: int('PROVISIONING_RECONCILE_INTERVAL_MS', 30_000, 50),
    inspectIntervalMs: int('PROVISIONING_INSPECT_INTERVAL_MS', 300_000, 50),
    jobLockMs: int('PROVISIONING_JOB_LOCK_MS', 30_000, 500),
    concurrency: int('PROVISIONING_CONCURRENCY', 4, 1),
  };
  if (problems.length) throw new ConfigError(problems);
  return config;
}
