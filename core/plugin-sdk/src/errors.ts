/**
 * A failure that may pass: network errors, timeouts, 5xx, 429. The engine retries the step
 * with exponential backoff (honouring `retryAfterMs` when given).
 */
export class RetryableError extends Error {
  readonly retryable = true as const;
  constructor(message: string, readonly options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RetryableError';
  }
}

/**
 * A failure that will not pass by retrying: bad admin credentials, an invalid plan, a refused
 * request. No retry; the instance becomes `failed` and the operator sees `message` (the
 * service's own words). Never put secrets in the message.
 */
export class PermanentError extends Error {
  readonly retryable = false as const;
  constructor(message: string, readonly options: { code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PermanentError';
  }
}

/** Classifies an HTTP status the usual way: 408, 425, 429 and 5xx are retryable. */
export function errorForStatus(status: number, message: string): RetryableError | PermanentError {
  return status === 408 || status === 425 || status === 429 || status >= 500
    ? new RetryableError(message)
    : new PermanentError(message, { code: `http_${status}` });
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof PermanentError) return false;
  if (error instanceof RetryableError) return true;
  // Anything unexpected (a bug, a dropped connection) is retried: the step is idempotent.
  return true;
}
