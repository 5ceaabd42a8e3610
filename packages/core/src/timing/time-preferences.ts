// The time parts of preferences: a recipient's time zone and quiet hours, checked and merged on update
// (`null` clears either).

import type { ValidationIssue } from '../errors';
import type { PreferencesUpdate } from '../herald-types';
import type { Preferences } from '../spec/store';
import { isTimeZone } from './zoned-time';

const clock = /^([01]\d|2[0-3]):[0-5]\d$/;

export function checkTimePreferences(update: PreferencesUpdate | undefined, issues: ValidationIssue[]): void {
  const timeZone = update?.timeZone;
  if (timeZone !== undefined && timeZone !== null && !isTimeZone(timeZone)) {
    issues.push({
      path: 'timeZone',
      message: `Expected an IANA time zone such as "Europe/Lisbon", got ${JSON.stringify(timeZone)}`,
    });
  }
  const quiet = update?.quietHours;
  if (quiet === undefined || quiet === null) return;
  if (typeof quiet !== 'object') {
    issues.push({ path: 'quietHours', message: 'Expected { from, to, channels? } or null' });
    return;
  }
  for (const field of ['from', 'to'] as const) {
    if (typeof quiet[field] !== 'string' || !clock.test(quiet[field])) {
      issues.push({ path: `quietHours.${field}`, message: 'Expected a time "HH:MM" from 00:00 to 23:59' });
    }
  }
  if (
    quiet.channels !== undefined &&
    (!Array.isArray(quiet.channels) || quiet.channels.some((kind) => typeof kind !== 'string'))
  ) {
    issues.push({ path: 'quietHours.channels', message: 'Expected an array of channel kinds' });
  }
}

export function applyTimePreferences(merged: Preferences, update: PreferencesUpdate): void {
  if (update.timeZone === null) delete merged.timeZone;
  else if (update.timeZone !== undefined) merged.timeZone = update.timeZone;
  if (update.quietHours === null) delete merged.quietHours;
  else if (update.quietHours !== undefined) {
    const { from, to, channels } = update.quietHours;
    merged.quietHours = channels === undefined ? { from, to } : { from, to, channels: [...channels] };
  }
}
