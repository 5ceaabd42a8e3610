// The device and preference rules: a device is a token owned by one user; preferences are switches per kind and
// per type × kind.

import type { Device, Preferences } from '../spec/store';
import { dateMessage, isDate } from './check-values';
import { IssueList, invalid, isNonEmptyString, isObject, optionalOption, plainCopy } from './input-issues';

/** A copy of exactly the device's declared fields. */
export function checkDevice(device: unknown): Device {
  if (!isObject(device)) throw invalid('device', 'Expected a device object');
  const issues = new IssueList();
  for (const field of ['token', 'userId', 'platform'] as const) {
    if (!isNonEmptyString(device[field])) issues.add(`device.${field}`, 'Expected a non-empty string');
  }
  if (!isDate(device.createdAt)) issues.add('device.createdAt', dateMessage(device.createdAt));
  issues.throwIfAny('Invalid device', 'device');
  const { token, userId, platform, createdAt } = device as unknown as Device;
  return { token, userId, platform, createdAt };
}

/** `removeDevice`'s options: the owner the device must have, if any. */
export function checkRemoveDeviceOptions(options: unknown): string | undefined {
  return optionalOption(options, 'userId');
}

function checkSwitches(value: unknown, path: string, issues: IssueList): void {
  if (!isObject(value)) {
    issues.add(path, 'Expected an object');
    return;
  }
  for (const [kind, enabled] of Object.entries(value)) {
    if (typeof enabled !== 'boolean') issues.add(`${path}.${kind}`, 'Expected true or false');
  }
}

/** A private copy of preferences whose every switch is a boolean. */
export function checkPreferences(preferences: unknown): Preferences {
  if (!isObject(preferences)) throw invalid('preferences', 'Expected an object');
  const issues = new IssueList();
  checkSwitches(preferences.channels, 'preferences.channels', issues);
  if (!isObject(preferences.types)) issues.add('preferences.types', 'Expected an object');
  else {
    for (const [type, switches] of Object.entries(preferences.types)) {
      checkSwitches(switches, `preferences.types.${type}`, issues);
    }
  }
  const copy = issues.isEmpty ? plainCopy(preferences as unknown as Preferences, 'preferences', issues) : undefined;
  issues.throwIfAny('Invalid preferences', 'preferences');
  return copy as Preferences;
}
