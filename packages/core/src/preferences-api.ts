// herald.preferences: per user opt-outs by channel kind and by type × kind, merged on update. What a user may store
// is bounded (types, kinds per switches object, name lengths: the store kit's limits), checked on the update and on
// what the merge would store, so a refused update changes nothing.

import { ValidationError, type ValidationIssue } from './errors';
import type { PreferencesApi } from './herald-types';
import type { Preferences, Store } from './spec/store';
import { preferenceNameIssue } from './store-kit/check-devices';
import { storeLimits } from './store-kit/store-limits';
import { applyTimePreferences, checkTimePreferences } from './timing/time-preferences';
import { assertNonEmptyString } from './validation';

function checkFlags(value: unknown, path: string, issues: ValidationIssue[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ path, message: 'Expected an object of channel kind → boolean' });
    return;
  }
  for (const [kind, flag] of Object.entries(value)) {
    const nameIssue = preferenceNameIssue(kind);
    if (nameIssue !== undefined) issues.push({ path: `${path}.${kind}`, message: nameIssue });
    else if (typeof flag !== 'boolean') issues.push({ path: `${path}.${kind}`, message: 'Expected a boolean' });
  }
}

/** The limits on what the merge would store, as issues on the update's paths. */
function checkMerged(merged: Preferences, updatedTypes: readonly string[], issues: ValidationIssue[]): void {
  const tooManyKinds = (count: number): string =>
    `Expected at most ${storeLimits.maxPreferenceKinds} channel kinds; with this update there would be ${count}`;
  const kinds = Object.keys(merged.channels).length;
  if (kinds > storeLimits.maxPreferenceKinds) issues.push({ path: 'channels', message: tooManyKinds(kinds) });
  for (const type of updatedTypes) {
    const count = Object.keys(merged.types[type] ?? {}).length;
    if (count > storeLimits.maxPreferenceKinds) issues.push({ path: `types.${type}`, message: tooManyKinds(count) });
  }
  const types = Object.keys(merged.types).length;
  if (types > storeLimits.maxPreferenceTypes) {
    issues.push({
      path: 'types',
      message: `Expected at most ${storeLimits.maxPreferenceTypes} types; with this update there would be ${types}`,
    });
  }
}

export function createPreferencesApi(store: Store): PreferencesApi {
  const api: PreferencesApi = {
    async get(userId) {
      assertNonEmptyString(userId, 'userId');
      return (await store.getPreferences([userId])).get(userId) ?? { channels: {}, types: {} };
    },
    async set(userId, update) {
      assertNonEmptyString(userId, 'userId');
      const issues: ValidationIssue[] = [];
      if (update?.channels !== undefined) checkFlags(update.channels, 'channels', issues);
      if (update?.types !== undefined) {
        if (typeof update.types !== 'object' || update.types === null) {
          issues.push({ path: 'types', message: 'Expected an object' });
        } else {
          for (const [type, flags] of Object.entries(update.types)) {
            const nameIssue = preferenceNameIssue(type);
            if (nameIssue !== undefined) issues.push({ path: `types.${type}`, message: nameIssue });
            else checkFlags(flags, `types.${type}`, issues);
          }
        }
      }
      checkTimePreferences(update, issues);
      if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid preferences' });
      const current = await api.get(userId);
      const merged: Preferences = {
        ...current,
        channels: { ...current.channels, ...update.channels },
        types: { ...current.types },
      };
      for (const [type, flags] of Object.entries(update.types ?? {})) {
        merged.types[type] = { ...merged.types[type], ...flags };
      }
      applyTimePreferences(merged, update);
      checkMerged(merged, Object.keys(update.types ?? {}), issues);
      if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid preferences' });
      await store.setPreferences(userId, merged);
      return merged;
    },
  };
  return api;
}
