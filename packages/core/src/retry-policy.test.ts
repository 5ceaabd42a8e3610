import { describe, expect, it } from 'vitest';
import { DeliveryError } from './errors';
import { createRetryPolicy } from './retry-policy';

describe('retry policy', () => {
  const transient = new DeliveryError('UNAVAILABLE', 'down');

  it('draws each delay from [0, min(cap, base × 2^(attempt-1)))', () => {
    const top = createRetryPolicy({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5].map((attempt) => top.nextDelay(attempt, transient))).toEqual([99, 199, 399, 799, undefined]);
    const bottom = createRetryPolicy({ random: () => 0 });
    expect(bottom.nextDelay(1, transient)).toBe(0);
    const capped = createRetryPolicy({ baseDelayMs: 100, maxDelayMs: 300, maxAttempts: 10, random: () => 0.999999 });
    expect(capped.nextDelay(8, transient)).toBe(299);
  });

  it('honours retryAfterMs and never retries permanent errors', () => {
    const policy = createRetryPolicy({ random: () => 0 });
    expect(policy.nextDelay(1, new DeliveryError('RATE_LIMITED', 'slow', { retryAfterMs: 5_000 }))).toBe(5_000);
    expect(policy.nextDelay(1, new DeliveryError('INVALID_CONTENT', 'bad'))).toBeUndefined();
    expect(policy.nextDelay(1, new DeliveryError('UNAVAILABLE', 'off', { retryable: false }))).toBeUndefined();
  });
});
