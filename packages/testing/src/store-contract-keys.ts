// Store contract: idempotency claims, devices and preferences.

import type { Device, Preferences } from '@herald/core';
import { describe, expect, it } from 'vitest';
import { EMAIL, iso, notificationRecord, PUSH, type StoreContractContext, waitUntil } from './store-contract-fixtures';

/** Long enough that no test can see it expire while it runs. */
const LONG_TTL_MS = 10 * 60_000;

function byToken(a: Device, b: Device): number {
  return a.token < b.token ? -1 : a.token > b.token ? 1 : 0;
}

export function idempotencyContract(context: StoreContractContext): void {
  describe('idempotency', () => {
    // Claims are made by beginNotification (see the notifications cases); these are the lookups cancel relies on.
    async function begin(key: string, ttlMs: number): Promise<string> {
      const record = notificationRecord(context, { idempotencyKey: key });
      const leaseUntil = iso(Date.now() + LONG_TTL_MS);
      expect(await context.store.beginNotification(record, { leaseUntil, idempotencyKey: { key, ttlMs } })).toEqual({
        created: true,
      });
      return record.id;
    }

    it('reports the notification holding a key, and nothing for a key nobody holds', async () => {
      const key = context.uniqueId('key');
      expect(await context.store.getIdempotencyKey(key)).toBeUndefined();
      const holder = await begin(key, LONG_TTL_MS);
      expect(await context.store.getIdempotencyKey(key)).toBe(holder);
      expect(await context.store.getIdempotencyKey(context.uniqueId('key'))).toBeUndefined();
    });

    it('no longer reports an expired key', async () => {
      const key = context.uniqueId('key');
      await begin(key, 50);
      await waitUntil(async () => (await context.store.getIdempotencyKey(key)) === undefined, 'the key to expire');
      const next = await begin(key, LONG_TTL_MS);
      expect(await context.store.getIdempotencyKey(key)).toBe(next);
    });
  });
}

export function devicesContract(context: StoreContractContext): void {
  describe('devices', () => {
    function device(userId: string, overrides: Partial<Device> = {}): Device {
      return {
        token: context.uniqueId('token'),
        userId,
        platform: 'android',
        createdAt: '2024-05-01T10:00:00.000Z',
        ...overrides,
      };
    }

    it('registers devices and lists them per user', async () => {
      const userId = context.userId();
      const phone = device(userId);
      const browser = device(userId, { platform: 'web' });
      await context.store.registerDevice(phone);
      await context.store.registerDevice(browser);
      const listed = await context.store.listDevices([userId]);
      expect([...listed.keys()]).toEqual([userId]);
      expect([...listed.get(userId)!].sort(byToken)).toEqual([phone, browser].sort(byToken));
    });

    it('registering the same token again replaces it rather than adding a second device', async () => {
      const userId = context.userId();
      const phone = device(userId);
      await context.store.registerDevice(phone);
      const again = { ...phone, platform: 'ios', createdAt: '2024-06-01T10:00:00.000Z' };
      await context.store.registerDevice(again);
      expect((await context.store.listDevices([userId])).get(userId)).toEqual([again]);
    });

    it('moves a token to the user who registers it last', async () => {
      const previousOwner = context.userId('previous');
      const newOwner = context.userId('new');
      const shared = device(previousOwner);
      const kept = device(previousOwner);
      await context.store.registerDevice(shared);
      await context.store.registerDevice(kept);
      const moved = { ...shared, userId: newOwner };
      await context.store.registerDevice(moved);
      const listed = await context.store.listDevices([previousOwner, newOwner]);
      expect(listed.get(previousOwner)).toEqual([kept]);
      expect(listed.get(newOwner)).toEqual([moved]);
    });

    it('lists many users at once; users without devices have no devices', async () => {
      const users = [context.userId('a'), context.userId('b'), context.userId('c')];
      const devices = [device(users[0]!), device(users[0]!), device(users[1]!)];
      for (const each of devices) await context.store.registerDevice(each);
      const listed = await context.store.listDevices(users);
      expect([...listed.get(users[0]!)!].sort(byToken)).toEqual([devices[0]!, devices[1]!].sort(byToken));
      expect(listed.get(users[1]!)).toEqual([devices[2]]);
      // The spec leaves open whether such users are absent or map to []: both mean "no devices".
      expect(listed.get(users[2]!) ?? []).toEqual([]);
      expect(await context.store.listDevices([])).toEqual(new Map());
    });

    it('removeDevice returns the removed device, then undefined', async () => {
      const userId = context.userId();
      const phone = device(userId);
      const other = device(userId);
      await context.store.registerDevice(phone);
      await context.store.registerDevice(other);
      expect(await context.store.removeDevice(phone.token)).toEqual(phone);
      expect(await context.store.removeDevice(phone.token)).toBeUndefined();
      expect((await context.store.listDevices([userId])).get(userId)).toEqual([other]);
      expect(await context.store.removeDevice(context.uniqueId('token'))).toBeUndefined();
    });

    it("removeDevice with a userId removes only that user's device", async () => {
      const owner = context.userId();
      const stranger = context.userId();
      const phone = device(owner);
      await context.store.registerDevice(phone);
      expect(await context.store.removeDevice(phone.token, { userId: stranger })).toBeUndefined();
      expect((await context.store.listDevices([owner])).get(owner)).toEqual([phone]);
      expect(await context.store.removeDevice(phone.token, { userId: owner })).toEqual(phone);
      expect((await context.store.listDevices([owner])).get(owner) ?? []).toEqual([]);
    });
  });
}

export function preferencesContract(context: StoreContractContext): void {
  describe('preferences', () => {
    it('stores preferences per user; users without any are absent from the map', async () => {
      const withPreferences = context.userId('set');
      const without = context.userId('unset');
      const preferences: Preferences = {
        channels: { [EMAIL]: false },
        types: { 'contract.alpha': { inApp: false }, 'contract.beta': { [EMAIL]: true } },
      };
      await context.store.setPreferences(withPreferences, preferences);
      const loaded = await context.store.getPreferences([withPreferences, without]);
      expect(loaded.get(withPreferences)).toEqual(preferences);
      expect(loaded.has(without)).toBe(false);
      expect(await context.store.getPreferences([])).toEqual(new Map());
    });

    it('setPreferences replaces what was stored rather than merging', async () => {
      const userId = context.userId();
      await context.store.setPreferences(userId, {
        channels: { [EMAIL]: false },
        types: { 'contract.alpha': { [PUSH]: false } },
      });
      const replacement: Preferences = { channels: { [PUSH]: false }, types: {} };
      await context.store.setPreferences(userId, replacement);
      expect((await context.store.getPreferences([userId])).get(userId)).toEqual(replacement);
    });

    it('keeps users apart and returns copies', async () => {
      const first = context.userId('first');
      const second = context.userId('second');
      const preferences: Preferences = { channels: { [EMAIL]: false }, types: {} };
      await context.store.setPreferences(first, preferences);
      await context.store.setPreferences(second, { channels: {}, types: { 'contract.alpha': { [EMAIL]: false } } });
      preferences.channels[EMAIL] = true;
      const loaded = await context.store.getPreferences([first, second]);
      expect(loaded.get(first)).toEqual({ channels: { [EMAIL]: false }, types: {} });
      expect(loaded.get(second)).toEqual({ channels: {}, types: { 'contract.alpha': { [EMAIL]: false } } });
      loaded.get(first)!.channels[EMAIL] = true;
      expect((await context.store.getPreferences([first])).get(first)).toEqual({
        channels: { [EMAIL]: false },
        types: {},
      });
    });
  });
}
