// Reconnect delays: exponential with full jitter, so clients dropped together do not return together.

export interface BackoffSettings {
  baseMs: number;
  capMs: number;
  /** In [0, 1). */
  random: () => number;
}

/** The delay before reconnect attempt `failures` (0 for the first retry): uniform in [0, min(cap, base·2^failures)). */
export function computeBackoffMs(failures: number, settings: BackoffSettings): number {
  const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** Math.min(failures, 30));
  return Math.floor(settings.random() * ceiling);
}
