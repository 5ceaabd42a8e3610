// The device and preference rules: a device is a token owned by one user, and a user holds a bounded number of them;
// preferences are switches per kind and per type × kind, bounded in count and name length.

import type { Device, Preferences } from '../spec/store';
import { checkTimePreferences } from './check-time-preferences';
import { dateMessage, isDate } from './check-values';
import { IssueList, invalid, isNonEmptyString, isObject, optionalOption, plainCopy } from './input-issues';
import { storeLimits } from './store-limits';

/** A copy of exactly the device's declared fields. */
export function checkDevice(device: unknown): Device {
  if (!isObject(device)) throw invalid('device', 'Expected a device object');
  const issues = new IssueList();
  for (const field of ['token', 'userId', 'platform'] as const) {
    if (!isNonEmptyString(device[field])) issues.add(`device.${field}`, 'Expected a non-empty string');
  }
  if (typeof device.token === 'string' && device.token.length > storeLimits.maxDeviceTokenLength) {
    issues.add('device.token', `Expected at most ${storeLimits.maxDeviceTokenLength} characters`);
  }
  if (!isDate(device.createdAt)) issues.add('device.createdAt', dateMessage(device.createdAt));
  issues.throwIfAny('Invalid device', 'device');
  const { token, userId, platform, createdAt } = device as unknown as Device;
  return { token, userId, platform, createdAt };
}

/** `registerDevice`'s options with their defaults. */
export interface CheckedRegisterDeviceOptions {
  takeOver: boolean;
  maxDevices: number;
}

export function checkRegisterDeviceOptions(options: unknown): CheckedRegisterDeviceOptions {
  if (options === undefined) return { takeOver: false, maxDevices: storeLimits.defaultMaxDevicesPerUser };
  if (!isObject(options)) throw invalid('options', 'Expected an object');
  const { takeOver = false, maxDevices = storeLimits.defaultMaxDevicesPerUser } = options;
  const issues = new IssueList();
  if (typeof takeOver !== 'boolean') issues.add('options.takeOver', 'Expected true or false');
  if (
    typeof maxDevices !== 'number' ||
    !Number.isInteger(maxDevices) ||
    maxDevices < 1 ||
    maxDevices > storeLimits.maxDevicesPerUser
  ) {
    issues.add(
      'options.maxDevices',
      `Expected an integer from 1 to ${storeLimits.maxDevicesPerUser}, got ${JSON.stringify(maxDevices) ?? String(maxDevices)}`,
    );
  }
  issues.throwIfAny('Invalid options', 'options');
  return { takeOver: takeOver as boolean, maxDevices: maxDevices as number };
}

/** `removeDevice`'s options: the owner the device must have, if any. */
export function checkRemoveDeviceOptions(options: unknown): string | undefined {
  return optionalOption(options, 'userId');
}

/** Why a type or kind name in preferences is refused, if it is. */
export function preferenceNameIssue(name: string): string | undefined {
  if (name === '') return 'Expected a non-empty name';
  if (name.length > storeLimits.maxPreferenceNameLength) {
    return `Expected a name of at most ${storeLimits.maxPreferenceNameLength} characters`;
  }
  return undefined;
}

function checkSwitches(value: unknown, path: string, issues: IssueList): void {
  if (!isObject(value)) {
    issues.add(path, 'Expected an object');
    return;
  }
  const entries = Object.entries(value);
  if (entries.length > storeLimits.maxPreferenceKinds) {
    issues.add(path, `Expected at most ${storeLimits.maxPreferenceKinds} channel kinds, got ${entries.length}`);
    return;
  }
  for (const [kind, enabled] of entries) {
    const nameIssue = preferenceNameIssue(kind);
    if (nameIssue !== undefined) issues.add(`${path}.${kind}`, nameIssue);
    else if (typeof enabled !== 'boolean') issues.add(`${path}.${kind}`, 'Expected true or false');
  }
}

/**
 * A private copy of preferences whose every switch is a boolean, naming at most `storeLimits.maxPreferenceTypes`
 * types and `storeLimits.maxPreferenceKinds` kinds per switches object, each name non-empty and at most
 * `storeLimits.maxPreferenceNameLength` characters.
 */
export function checkPreferences(preferences: unknown): Preferences {
  if (!isObject(preferences)) throw invalid('preferences', 'Expected an object');
  const issues = new IssueList();
  checkSwitches(preferences.channels, 'preferences.channels', issues);
  if (!isObject(preferences.types)) issues.add('preferences.types', 'Expected an object');
  else {
    const types = Object.entries(preferences.types);
    if (types.length > storeLimits.maxPreferenceTypes) {
      issues.add('preferences.types', `Expected at most ${storeLimits.maxPreferenceTypes} types, got ${types.length}`);
    } else {
      for (const [type, switches] of types) {
        const nameIssue = preferenceNameIssue(type);
        if (nameIssue !== undefined) issues.add(`preferences.types.${type}`, nameIssue);
        else checkSwitches(switches, `preferences.types.${type}`, issues);
      }
    }
  }
  checkTimePreferences(preferences, issues);
  const copy = issues.isEmpty ? plainCopy(preferences as unknown as Preferences, 'preferences', issues) : undefined;
  issues.throwIfAny('Invalid preferences', 'preferences');
  return copy as Preferences;
}
