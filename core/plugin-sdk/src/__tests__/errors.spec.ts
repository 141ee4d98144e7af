import { errorForStatus, isRetryable, PermanentError, RetryableError } from '../errors';

describe('typed errors', () => {
  it('classifies HTTP statuses: 408/425/429/5xx retryable, other 4xx permanent', () => {
    for (const status of [408, 425, 429, 500, 502, 503]) expect(errorForStatus(status, 'x')).toBeInstanceOf(RetryableError);
    for (const status of [400, 401, 403, 404, 409, 422]) expect(errorForStatus(status, 'x')).toBeInstanceOf(PermanentError);
  });

  it('retries unknown errors (steps are idempotent) but never permanent ones', () => {
    expect(isRetryable(new RetryableError('x'))).toBe(true);
    expect(isRetryable(new Error('socket hang up'))).toBe(true);
    expect(isRetryable(new PermanentError('bad credentials'))).toBe(false);
  });
});
