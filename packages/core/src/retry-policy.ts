// Exponential backoff with full jitter, bounded attempts, and the provider's retry-after honoured.

import type { DeliveryError } from './errors';

export interface RetryPolicySettings {
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** Backoff base (default 1,000 ms). */
  baseDelayMs?: number;
  /** Backoff cap (default 60,000 ms). */
  maxDelayMs?: number;
  /** Time allowed for one attempt before its signal aborts (default 30,000 ms). */
  attemptTimeoutMs?: number;
  /** Random source in [0, 1), for deterministic tests. */
  random?: () => number;
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly attemptTimeoutMs: number;
  /** Milliseconds to wait before attempt `attempt + 1`, or `undefined` when the error must not be retried. */
  nextDelay(attempt: number, error: DeliveryError): number | undefined;
}

export function createRetryPolicy(settings: RetryPolicySettings = {}): RetryPolicy {
  const maxAttempts = Math.max(1, Math.floor(settings.maxAttempts ?? 5));
  const baseDelayMs = Math.max(0, settings.baseDelayMs ?? 1_000);
  const maxDelayMs = Math.max(baseDelayMs, settings.maxDelayMs ?? 60_000);
  const attemptTimeoutMs = Math.max(1, settings.attemptTimeoutMs ?? 30_000);
  const random = settings.random ?? Math.random;
  return {
    maxAttempts,
    attemptTimeoutMs,
    nextDelay(attempt, error) {
      if (!error.retryable || attempt >= maxAttempts) return undefined;
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      const jittered = Math.floor(random() * ceiling);
      // The provider's own wait wins over a shorter jittered one.
      return Math.max(jittered, error.retryAfterMs ?? 0);
    },
  };
}
