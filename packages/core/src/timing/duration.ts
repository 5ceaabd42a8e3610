// Durations in definitions: `'15m'`, `'1h'`, `'90s'`, `'2d'` or milliseconds. A literal such as `'15 minutes'`
// fails to compile; a computed string that does not parse fails defineNotification with a ConfigurationError.

import { ConfigurationError } from '../errors';

export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';
/** A length of time: `'15m'`, `'1h'`, `'500ms'`, or a number of milliseconds. */
export type Duration = `${number}${DurationUnit}` | number;

const unitMs: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Milliseconds of a duration; `where` names the setting in the error. */
export function durationMs(value: unknown, where: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const match = pattern.exec(value.trim());
    if (match) return Number(match[1]) * unitMs[match[2] as DurationUnit];
  }
  throw new ConfigurationError(
    `${where}: ${JSON.stringify(value)} is not a duration; write it as "15m", "1h", "90s", "2d", "500ms" or milliseconds.`,
  );
}
