// The preference rules that concern time: a recipient's IANA time zone and their quiet hours.

import { type IssueList, isNonEmptyString, isObject } from './input-issues';

const LOCAL_TIME = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;

/** Whether the runtime knows the zone (`Europe/Lisbon`, `UTC`), as the dispatcher's zoned dates will need it to. */
export function isTimeZone(value: unknown): value is string {
  if (!isNonEmptyString(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function checkLocalTime(value: unknown, path: string, issues: IssueList): void {
  if (typeof value !== 'string' || !LOCAL_TIME.test(value)) {
    issues.add(path, `Expected a local time "HH:MM" from 00:00 to 23:59, got ${describe(value)}`);
  }
}

/** Adds the issues of `preferences.timeZone` and `preferences.quietHours` (both optional). */
export function checkTimePreferences(preferences: Record<string, unknown>, issues: IssueList): void {
  const { timeZone, quietHours } = preferences;
  if (timeZone !== undefined && !isTimeZone(timeZone)) {
    issues.add('preferences.timeZone', `Expected an IANA time zone such as "Europe/Lisbon", got ${describe(timeZone)}`);
  }
  if (quietHours === undefined) return;
  if (!isObject(quietHours)) {
    issues.add('preferences.quietHours', 'Expected an object with from and to ("HH:MM")');
    return;
  }
  checkLocalTime(quietHours.from, 'preferences.quietHours.from', issues);
  checkLocalTime(quietHours.to, 'preferences.quietHours.to', issues);
  const channels = quietHours.channels;
  if (channels === undefined) return;
  if (!Array.isArray(channels)) {
    issues.add('preferences.quietHours.channels', 'Expected an array of channel kinds');
    return;
  }
  channels.forEach((kind: unknown, index) => {
    if (!isNonEmptyString(kind)) issues.add(`preferences.quietHours.channels.${index}`, 'Expected a non-empty string');
  });
}
