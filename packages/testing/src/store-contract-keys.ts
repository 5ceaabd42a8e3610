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

    it('answers registered, with nothing taken over or evicted, for a new token', async () => {
      const userId = context.userId();
      expect(await context.store.registerDevice(device(userId))).toEqual({ status: 'registered', evicted: [] });
    });

    it('registering the same token again replaces it rather than adding a second device', async () => {
      const userId = context.userId();
      const phone = device(userId);
      await context.store.registerDevice(phone);
      const again = { ...phone, platform: 'ios', createdAt: '2024-06-01T10:00:00.000Z' };
      expect(await context.store.registerDevice(again)).toEqual({ status: 'registered', evicted: [] });
      expect((await context.store.listDevices([userId])).get(userId)).toEqual([again]);
    });

    it("refuses another user's token without takeOver, changing nothing", async () => {
      const owner = context.userId('owner');
      const other = context.userId('other');
      const phone = device(owner);
      await context.store.registerDevice(phone);
      const claim = { ...phone, userId: other, platform: 'ios', createdAt: '2024-06-01T10:00:00.000Z' };
      expect(await context.store.registerDevice(claim)).toEqual({ status: 'taken' });
      expect(await context.store.registerDevice(claim, { takeOver: false, maxDevices: 5 })).toEqual({
        status: 'taken',
      });
      const listed = await context.store.listDevices([owner, other]);
      expect(listed.get(owner)).toEqual([phone]);
      expect(listed.get(other) ?? []).toEqual([]);
      expect(await context.store.removeDevice(phone.token, { userId: other })).toBeUndefined();
    });

    it('moves a token to another user with takeOver, answering the registration it replaced', async () => {
      const previousOwner = context.userId('previous');
      const newOwner = context.userId('new');
      const shared = device(previousOwner);
      const kept = device(previousOwner);
      await context.store.registerDevice(shared);
      await context.store.registerDevice(kept);
      const moved = { ...shared, userId: newOwner, createdAt: '2024-06-01T10:00:00.000Z' };
      expect(await context.store.registerDevice(moved, { takeOver: true })).toEqual({
        status: 'registered',
        takenOver: shared,
        evicted: [],
      });
      const listed = await context.store.listDevices([previousOwner, newOwner]);
      expect(listed.get(previousOwner)).toEqual([kept]);
      expect(listed.get(newOwner)).toEqual([moved]);
      // It is the new owner's now: the previous one can no longer remove it, and can no longer take it back silently.
      expect(await context.store.removeDevice(shared.token, { userId: previousOwner })).toBeUndefined();
      expect(await context.store.registerDevice(shared)).toEqual({ status: 'taken' });
      expect(await context.store.removeDevice(shared.token, { userId: newOwner })).toEqual(moved);
    });

    it('takeOver of a token the user holds, or nobody holds, is a plain registration', async () => {
      const userId = context.userId();
      const phone = device(userId);
      expect(await context.store.registerDevice(phone, { takeOver: true })).toEqual({
        status: 'registered',
        evicted: [],
      });
      expect(await context.store.registerDevice(phone, { takeOver: true })).toEqual({
        status: 'registered',
        evicted: [],
      });
      expect((await context.store.listDevices([userId])).get(userId)).toEqual([phone]);
    });

    it('evicts the devices registered longest ago past maxDevices, in the same call', async () => {
      const userId = context.userId();
      const devices = Array.from({ length: 5 }, (_, index) =>
        device(userId, { createdAt: `2024-05-0${index + 1}T10:00:00.000Z` }),
      );
      const results = [];
      for (const each of devices) results.push(await context.store.registerDevice(each, { maxDevices: 3 }));
      expect(results).toEqual([
        { status: 'registered', evicted: [] },
        { status: 'registered', evicted: [] },
        { status: 'registered', evicted: [] },
        { status: 'registered', evicted: [devices[0]] },
        { status: 'registered', evicted: [devices[1]] },
      ]);
      const listed = (await context.store.listDevices([userId])).get(userId)!;
      expect([...listed].sort(byToken)).toEqual(devices.slice(2).sort(byToken));
      // An evicted token is nobody's: anyone may register it, and removing it finds nothing.
      expect(await context.store.removeDevice(devices[0]!.token)).toBeUndefined();
      const stranger = context.userId('stranger');
      expect(await context.store.registerDevice({ ...devices[1]!, userId: stranger })).toEqual({
        status: 'registered',
        evicted: [],
      });
    });

    it('counts a token registered again as the newest, whatever its createdAt says', async () => {
      const userId = context.userId();
      const first = device(userId, { createdAt: '2024-05-01T10:00:00.000Z' });
      const second = device(userId, { createdAt: '2024-05-02T10:00:00.000Z' });
      await context.store.registerDevice(first, { maxDevices: 2 });
      await context.store.registerDevice(second, { maxDevices: 2 });
      const firstAgain = { ...first, createdAt: '2024-04-01T10:00:00.000Z' };
      await context.store.registerDevice(firstAgain, { maxDevices: 2 });
      const third = device(userId);
      expect(await context.store.registerDevice(third, { maxDevices: 2 })).toEqual({
        status: 'registered',
        evicted: [second],
      });
      const listed = (await context.store.listDevices([userId])).get(userId)!;
      expect([...listed].sort(byToken)).toEqual([firstAgain, third].sort(byToken));
    });

    it('evicts down to a lowered maxDevices, oldest first, and never counts removed devices', async () => {
      const userId = context.userId();
      const devices = Array.from({ length: 4 }, () => device(userId));
      for (const each of devices) await context.store.registerDevice(each);
      await context.store.removeDevice(devices[1]!.token);
      const last = device(userId);
      expect(await context.store.registerDevice(last, { maxDevices: 2 })).toEqual({
        status: 'registered',
        evicted: [devices[0], devices[2]],
      });
      const listed = (await context.store.listDevices([userId])).get(userId)!;
      expect([...listed].sort(byToken)).toEqual([devices[3]!, last].sort(byToken));
    });

    it('a token taken over into a full list evicts that list’s oldest device', async () => {
      const previousOwner = context.userId('previous');
      const newOwner = context.userId('new');
      const shared = device(previousOwner);
      await context.store.registerDevice(shared);
      const own = [device(newOwner), device(newOwner)];
      for (const each of own) await context.store.registerDevice(each, { maxDevices: 2 });
      const moved = { ...shared, userId: newOwner };
      expect(await context.store.registerDevice(moved, { takeOver: true, maxDevices: 2 })).toEqual({
        status: 'registered',
        takenOver: shared,
        evicted: [own[0]],
      });
      const listed = await context.store.listDevices([previousOwner, newOwner]);
      expect(listed.get(previousOwner) ?? []).toEqual([]);
      expect([...listed.get(newOwner)!].sort(byToken)).toEqual([own[1]!, moved].sort(byToken));
    });

    it('gives a token raced for by many users, over separate connections, to exactly one of them', async () => {
      const peers = await context.peers();
      const users = Array.from({ length: 12 }, (_, index) => context.userId(`racer${index}`));
      const token = context.uniqueId('token');
      const results = await Promise.all(
        users.map((userId, index) => peers[index % peers.length]!.registerDevice(device(userId, { token }))),
      );
      const winners = users.filter((_, index) => results[index]!.status === 'registered');
      expect(winners).toHaveLength(1);
      expect(results.filter((result) => result.status === 'taken')).toHaveLength(users.length - 1);
      const listed = await context.store.listDevices(users);
      for (const userId of users) {
        expect((listed.get(userId) ?? []).map((each) => each.token)).toEqual(userId === winners[0] ? [token] : []);
      }
      expect((await context.store.removeDevice(token))?.userId).toBe(winners[0]);
    });

    it('leaves a token raced for with takeOver listed for exactly one user, the one removeDevice finds', async () => {
      const peers = await context.peers();
      const users = Array.from({ length: 12 }, (_, index) => context.userId(`taker${index}`));
      const tokens = Array.from({ length: 3 }, () => context.uniqueId('token'));
      const results = await Promise.all(
        users.flatMap((userId, index) =>
          tokens.map((token) =>
            peers[index % peers.length]!.registerDevice(device(userId, { token }), { takeOver: true, maxDevices: 2 }),
          ),
        ),
      );
      expect(results.every((result) => result.status === 'registered')).toBe(true);
      const listed = await context.store.listDevices(users);
      for (const userId of users) expect((listed.get(userId) ?? []).length).toBeLessThanOrEqual(2);
      for (const token of tokens) {
        const holders = users.filter((userId) => (listed.get(userId) ?? []).some((each) => each.token === token));
        expect(holders.length, token).toBeLessThanOrEqual(1);
        const removed = await context.store.removeDevice(token);
        expect(removed?.userId, token).toBe(holders[0]);
      }
      const after = await context.store.listDevices(users);
      for (const userId of users) expect(after.get(userId) ?? []).toEqual([]);
    });

    it('keeps one user within maxDevices while many registrations race, evicting each device at most once', async () => {
      const peers = await context.peers();
      const userId = context.userId();
      const devices = Array.from({ length: 40 }, () => device(userId));
      const results = await Promise.all(
        devices.map((each, index) => peers[index % peers.length]!.registerDevice(each, { maxDevices: 5 })),
      );
      const evicted = results.flatMap((result) => (result.status === 'registered' ? result.evicted : []));
      const listed = (await context.store.listDevices([userId])).get(userId)!;
      expect(listed).toHaveLength(5);
      expect(evicted).toHaveLength(35);
      const seen = [...evicted, ...listed].map((each) => each.token);
      expect(new Set(seen).size).toBe(40);
      expect([...seen].sort()).toEqual(devices.map((each) => each.token).sort());
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
