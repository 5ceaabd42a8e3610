// Wall-clock time in a recipient's IANA time zone, from instants and back, correct across DST changes and
// whatever the host's own `TZ` is: every conversion goes through Intl with an explicit zone, never local Date math.

import { ConfigurationError } from '../errors';

export interface LocalDate {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
}

interface LocalTime extends LocalDate {
  hour: number;
  minute: number;
  /** 0 = Sunday, as `Date.getUTCDay`. */
  weekday: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** Whether the runtime knows the zone (`Europe/Lisbon` yes, `Mars/Olympus` no). */
export function isTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string' || timeZone.length === 0) return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function parts(instant: number, timeZone: string): LocalTime & { second: number } {
  const values: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') values[part.type] = Number(part.value);
  }
  const local = {
    year: values.year as number,
    month: values.month as number,
    day: values.day as number,
    hour: values.hour as number,
    minute: values.minute as number,
    second: values.second as number,
  };
  return { ...local, weekday: new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() };
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(instant: number, timeZone: string): number {
  const local = parts(instant, timeZone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  return asUtc - Math.floor(instant / 1_000) * 1_000;
}

/** The local wall-clock time of an instant in the zone. */
export function localTime(instant: number, timeZone: string): LocalTime {
  const { second: _second, ...local } = parts(instant, timeZone);
  return local;
}

/**
 * The instant a local date and time happen in the zone. A time skipped by a DST change (02:30 on the morning
 * clocks spring forward) moves forward by the gap (03:30), and a time that happens twice (clocks falling back)
 * takes its first occurrence — as Temporal's "compatible" disambiguation does.
 */
export function instantAt(date: LocalDate, minutesOfDay: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, Math.floor(minutesOfDay / 60), minutesOfDay % 60);
  // A zone changes its offset at most once in a day: the offsets a day before and after cover every candidate.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const offsets = new Set([before, offsetAt(wall, timeZone), offsetAt(wall + DAY_MS, timeZone)]);
  let earliest: number | undefined;
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (candidate + offsetAt(candidate, timeZone) === wall && (earliest === undefined || candidate < earliest)) {
      earliest = candidate;
    }
  }
  // No instant shows that wall time (it fell in a gap): read it with the offset from before the change.
  return earliest ?? wall - before;
}

/** The local date `days` after `date` (calendar arithmetic, no zone involved). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

const clockPattern = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes since midnight of an `HH:MM` time; `where` names the setting in the error. */
export function clockMinutes(value: unknown, where: string): number {
  const match = typeof value === 'string' ? clockPattern.exec(value) : null;
  if (!match)
    throw new ConfigurationError(
      `${where}: expected a time "HH:MM" from 00:00 to 23:59, got ${JSON.stringify(value)}.`,
    );
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * When a quiet window (`from`–`to`, local, spanning midnight when `from` is later) that holds `instant` ends,
 * or `undefined` when `instant` is outside it.
 */
export function quietWindowEnd(instant: number, from: number, to: number, timeZone: string): number | undefined {
  if (from === to) return undefined;
  const local = localTime(instant, timeZone);
  const minutes = local.hour * 60 + local.minute;
  const spansMidnight = from > to;
  const inside = spansMidnight ? minutes >= from || minutes < to : minutes >= from && minutes < to;
  if (!inside) return undefined;
  const endDate = spansMidnight && minutes >= from ? addDays(local, 1) : local;
  return instantAt(endDate, to, timeZone);
}

export const weekdays = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof weekdays)[number];

/** The first instant after `instant` that is `at` local time (on `weekday`, when given) in the zone. */
export function nextLocalTime(instant: number, at: number, timeZone: string, weekday?: number): number {
  const today = localTime(instant, timeZone);
  for (let days = 0; days <= 8; days++) {
    const date = addDays(today, days);
    if (weekday !== undefined && new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() !== weekday) {
      continue;
    }
    const candidate = instantAt(date, at, timeZone);
    if (candidate > instant) return candidate;
  }
  throw new Error('nextLocalTime: no candidate within 8 days'); // unreachable for real zones
}
