// A per-connection token bucket, plus a count of recent refusals so sustained abuse can be told from a burst.

export interface RateLimitSettings {
  /** Frames allowed per second, sustained (default 20). */
  framesPerSecond?: number;
  /** Frames allowed in a burst (default 40). */
  burst?: number;
  /** Refused frames within `abuseWindowMs` after which the connection is closed with 4029 (default 40). */
  closeAfterRefusals?: number;
  /** Window for counting refusals (default 10 s). */
  abuseWindowMs?: number;
}

export interface TokenBucket {
  /** Takes a token: `allowed`, `refused` (drop the frame), or `abusive` (close the connection). */
  take(now: number): 'allowed' | 'refused' | 'abusive';
}

export function createTokenBucket(settings: RateLimitSettings = {}): TokenBucket {
  const rate = settings.framesPerSecond ?? 20;
  const capacity = settings.burst ?? 40;
  const closeAfter = settings.closeAfterRefusals ?? 40;
  const windowMs = settings.abuseWindowMs ?? 10_000;
  let tokens = capacity;
  let refilledAt: number | undefined;
  let windowStart = 0;
  let refusals = 0;

  return {
    take(now) {
      if (refilledAt === undefined) refilledAt = now;
      tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * rate);
      refilledAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 'allowed';
      }
      if (now - windowStart > windowMs) {
        windowStart = now;
        refusals = 0;
      }
      refusals += 1;
      return refusals >= closeAfter ? 'abusive' : 'refused';
    },
  };
}
