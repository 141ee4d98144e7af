import { retryDelay, StepRetry } from './step-executor';

describe('retry delays', () => {
  it('double from the base delay', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(n, 100))).toEqual([100, 200, 400, 800]);
  });

  it('follow the plugin\'s retryAfterMs when it gives one (e.g. from Retry-After)', () => {
    expect(retryDelay(3, 100, new StepRetry('429', 5000))).toBe(5000);
    expect(retryDelay(3, 100, new StepRetry('503'))).toBe(400);
  });
});
