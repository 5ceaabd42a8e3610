// herald.preferences: how much one user may store, checked on the update and on what the merge would store.
import { MemoryStore } from '@herald/storage';
import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors';
import { createHerald } from './herald';
import type { PreferencesUpdate } from './herald-types';

function setup() {
  return createHerald({ store: new MemoryStore(), channels: [] });
}

function types(count: number, from = 0): NonNullable<PreferencesUpdate['types']> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`type.${from + index}`, { email: false }]));
}

/** Switches of kinds no channel package declares: a store keeps any kind. */
function switches(value: Record<string, boolean>): NonNullable<PreferencesUpdate['channels']> {
  return value;
}

function kinds(count: number): Record<string, boolean> {
  return Object.fromEntries(Array.from({ length: count }, (_, index) => [`kind${index}`, false]));
}

async function issuesOf(call: Promise<unknown>): Promise<{ path: string; message: string }[]> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(ValidationError.is(error), String(error)).toBe(true);
  return (error as ValidationError).issues.map(({ path, message }) => ({ path, message }));
}

describe('preferences: limits', () => {
  it('refuses an update that would store more than 200 types, whole, and keeps what was stored', async () => {
    const herald = setup();
    await herald.preferences.set('ana', { types: types(150) });
    const stored = await herald.preferences.get('ana');
    expect(
      await issuesOf(herald.preferences.set('ana', { channels: { email: false }, types: types(51, 150) })),
    ).toEqual([{ path: 'types', message: 'Expected at most 200 types; with this update there would be 201' }]);
    expect(await herald.preferences.get('ana')).toEqual(stored);
    // Up to the limit, and changes to types already stored, go through.
    await herald.preferences.set('ana', { types: types(50, 150) });
    await herald.preferences.set('ana', { types: { 'type.0': { push: false } } });
    expect(Object.keys((await herald.preferences.get('ana')).types)).toHaveLength(200);
  });

  it('refuses names that are empty or longer than 128 characters, naming each path', async () => {
    const herald = setup();
    const long = 'x'.repeat(129);
    expect(
      await issuesOf(
        herald.preferences.set('ana', { channels: switches({ '': false }), types: { [long]: { email: true } } }),
      ),
    ).toEqual([
      { path: 'channels.', message: 'Expected a non-empty name' },
      { path: `types.${long}`, message: 'Expected a name of at most 128 characters' },
    ]);
    expect(await issuesOf(herald.preferences.set('ana', { types: { ok: switches({ [long]: true }) } }))).toEqual([
      { path: `types.ok.${long}`, message: 'Expected a name of at most 128 characters' },
    ]);
    expect(await herald.preferences.get('ana')).toEqual({ channels: {}, types: {} });
  });

  it('refuses more than 16 channel kinds in one switches object once merged', async () => {
    const herald = setup();
    await herald.preferences.set('ana', { channels: kinds(10), types: { digest: kinds(16) } });
    const before = await herald.preferences.get('ana');
    const more = Object.fromEntries(Array.from({ length: 7 }, (_, index) => [`extra${index}`, true]));
    expect(
      await issuesOf(herald.preferences.set('ana', { channels: more, types: { digest: switches({ extra: true }) } })),
    ).toEqual([
      { path: 'channels', message: 'Expected at most 16 channel kinds; with this update there would be 17' },
      { path: 'types.digest', message: 'Expected at most 16 channel kinds; with this update there would be 17' },
    ]);
    expect(await herald.preferences.get('ana')).toEqual(before);
  });
});
