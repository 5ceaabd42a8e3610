// herald.preferences: per user opt-outs by channel kind and by type × kind, merged on update.

import { ValidationError, type ValidationIssue } from './errors';
import type { PreferencesApi } from './herald-types';
import type { Preferences, Store } from './spec/store';
import { assertNonEmptyString } from './validation';

function checkFlags(value: unknown, path: string, issues: ValidationIssue[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ path, message: 'Expected an object of channel kind → boolean' });
    return;
  }
  for (const [kind, flag] of Object.entries(value)) {
    if (typeof flag !== 'boolean') issues.push({ path: `${path}.${kind}`, message: 'Expected a boolean' });
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
        } else for (const [type, flags] of Object.entries(update.types)) checkFlags(flags, `types.${type}`, issues);
      }
      if (issues.length > 0) throw new ValidationError(issues, { prefix: 'Invalid preferences' });
      const current = await api.get(userId);
      const merged: Preferences = {
        channels: { ...current.channels, ...update.channels },
        types: { ...current.types },
      };
      for (const [type, flags] of Object.entries(update.types ?? {})) {
        merged.types[type] = { ...merged.types[type], ...flags };
      }
      await store.setPreferences(userId, merged);
      return merged;
    },
  };
  return api;
}
