// Store contract: bad input to the idempotency, device and preference calls. Every store refuses the same inputs
// with the same ValidationError (path and message), and a refused call changes nothing.

import type { Device, Preferences } from '@herald/core';
import { describe, expect, it } from 'vitest';
import {
  EMAIL,
  type ExpectedIssue,
  expectIssues,
  loose,
  NON_EMPTY,
  notADate,
  type StoreContractContext,
} from './store-contract-fixtures';

export function badKeysContract(context: StoreContractContext): void {
  describe('bad input: idempotency keys', () => {
    // Keys are claimed by beginNotification, whose bad options are in the notifications cases.
    it('refuses a lookup of an empty or missing key', async () => {
      const cases: [Promise<unknown>, ExpectedIssue[]][] = [
        [context.store.getIdempotencyKey(''), [{ path: 'key', message: NON_EMPTY }]],
        [context.store.getIdempotencyKey(loose(undefined)), [{ path: 'key', message: NON_EMPTY }]],
      ];
      for (const [call, issues] of cases) await expectIssues(call, issues);
    });
  });

  describe('bad input: devices', () => {
    it('refuses a device without a token, owner, platform or creation date, and registers nothing', async () => {
      const userId = context.userId();
      const device = (overrides: Partial<Record<keyof Device, unknown>>): Device =>
        loose({
          token: context.uniqueId('token'),
          userId,
          platform: 'ios',
          createdAt: '2024-05-01T10:00:00.000Z',
          ...overrides,
        });
      const cases: [Device, ExpectedIssue[]][] = [
        [loose('token'), [{ path: 'device', message: 'Expected a device object' }]],
        [
          device({ token: '', userId: undefined, platform: 7 }),
          [
            { path: 'device.token', message: NON_EMPTY },
            { path: 'device.userId', message: NON_EMPTY },
            { path: 'device.platform', message: NON_EMPTY },
          ],
        ],
        [device({ createdAt: 'today' }), [{ path: 'device.createdAt', message: notADate('today') }]],
        [device({ token: 'x'.repeat(4097) }), [{ path: 'device.token', message: 'Expected at most 4096 characters' }]],
      ];
      for (const [input, issues] of cases) await expectIssues(context.store.registerDevice(input), issues);
      expect((await context.store.listDevices([userId])).get(userId) ?? []).toEqual([]);
    });

    it('refuses bad registration options, and neither registers, moves nor evicts anything', async () => {
      const userId = context.userId();
      const other = context.userId('other');
      const device = (owner: string): Device => ({
        token: context.uniqueId('token'),
        userId: owner,
        platform: 'ios',
        createdAt: '2024-05-01T10:00:00.000Z',
      });
      // The user is at the cap of 2, and another user holds a token: a bad call must touch neither.
      const held = [device(userId), device(userId)];
      for (const each of held) await context.store.registerDevice(each, { maxDevices: 2 });
      const othersPhone = device(other);
      await context.store.registerDevice(othersPhone);
      const maxDevices = (value: unknown): ExpectedIssue => ({
        path: 'options.maxDevices',
        message: `Expected an integer from 1 to 1000, got ${JSON.stringify(value)}`,
      });
      const cases: [unknown, ExpectedIssue[]][] = [
        ['takeOver', [{ path: 'options', message: 'Expected an object' }]],
        [null, [{ path: 'options', message: 'Expected an object' }]],
        [{ takeOver: 'yes' }, [{ path: 'options.takeOver', message: 'Expected true or false' }]],
        [{ maxDevices: 0 }, [maxDevices(0)]],
        [{ maxDevices: 2.5 }, [maxDevices(2.5)]],
        [{ maxDevices: 1001 }, [maxDevices(1001)]],
        [{ maxDevices: '2' }, [maxDevices('2')]],
        [
          { takeOver: 1, maxDevices: -1 },
          [{ path: 'options.takeOver', message: 'Expected true or false' }, maxDevices(-1)],
        ],
      ];
      for (const [options, issues] of cases) {
        await expectIssues(context.store.registerDevice(device(userId), loose(options)), issues);
        await expectIssues(context.store.registerDevice({ ...othersPhone, userId }, loose(options)), issues);
      }
      // A well-formed device with bad options is refused as a whole, the device checked first.
      await expectIssues(
        context.store.registerDevice(loose({ ...device(userId), token: '' }), loose({ maxDevices: 0 })),
        [{ path: 'device.token', message: NON_EMPTY }],
      );
      const listed = await context.store.listDevices([userId, other]);
      expect([...listed.get(userId)!].sort((a, b) => (a.token < b.token ? -1 : 1))).toEqual(
        [...held].sort((a, b) => (a.token < b.token ? -1 : 1)),
      );
      expect(listed.get(other)).toEqual([othersPhone]);
    });

    it('refuses bad device lookups and removals, and keeps the device', async () => {
      const userId = context.userId();
      const phone: Device = {
        token: context.uniqueId('token'),
        userId,
        platform: 'android',
        createdAt: '2024-05-01T10:00:00.000Z',
      };
      await context.store.registerDevice(phone);
      const cases: [Promise<unknown>, ExpectedIssue[]][] = [
        [context.store.listDevices(loose(userId)), [{ path: 'userIds', message: 'Expected an array of user ids' }]],
        [context.store.listDevices(loose([userId, ''])), [{ path: 'userIds.1', message: NON_EMPTY }]],
        [context.store.removeDevice(''), [{ path: 'token', message: NON_EMPTY }]],
        [context.store.removeDevice(phone.token, { userId: '' }), [{ path: 'options.userId', message: NON_EMPTY }]],
        [context.store.removeDevice(phone.token, loose(userId)), [{ path: 'options', message: 'Expected an object' }]],
      ];
      for (const [call, issues] of cases) await expectIssues(call, issues);
      expect((await context.store.listDevices([userId])).get(userId)).toEqual([phone]);
    });
  });

  describe('bad input: preferences', () => {
    it('refuses preferences whose switches are not booleans, and keeps what was stored', async () => {
      const userId = context.userId();
      const stored: Preferences = { channels: { [EMAIL]: false }, types: {} };
      await context.store.setPreferences(userId, stored);
      const cases: [Promise<unknown>, ExpectedIssue[]][] = [
        [context.store.setPreferences('', stored), [{ path: 'userId', message: NON_EMPTY }]],
        [context.store.setPreferences(userId, loose(null)), [{ path: 'preferences', message: 'Expected an object' }]],
        [
          context.store.setPreferences(userId, loose({ channels: [], types: 'all' })),
          [
            { path: 'preferences.channels', message: 'Expected an object' },
            { path: 'preferences.types', message: 'Expected an object' },
          ],
        ],
        [
          context.store.setPreferences(
            userId,
            loose({ channels: { [EMAIL]: 'no' }, types: { 'contract.alpha': { inApp: 0 }, 'contract.beta': true } }),
          ),
          [
            { path: `preferences.channels.${EMAIL}`, message: 'Expected true or false' },
            { path: 'preferences.types.contract.alpha.inApp', message: 'Expected true or false' },
            { path: 'preferences.types.contract.beta', message: 'Expected an object' },
          ],
        ],
        [context.store.getPreferences(loose(userId)), [{ path: 'userIds', message: 'Expected an array of user ids' }]],
        [context.store.getPreferences(loose([42])), [{ path: 'userIds.0', message: NON_EMPTY }]],
      ];
      for (const [call, issues] of cases) await expectIssues(call, issues);
      expect((await context.store.getPreferences([userId])).get(userId)).toEqual(stored);
    });

    it('refuses preferences past the size limits (types, kinds, name lengths), and keeps what was stored', async () => {
      const userId = context.userId();
      const stored: Preferences = { channels: { [EMAIL]: false }, types: {} };
      await context.store.setPreferences(userId, stored);
      const switches = (count: number): Record<string, boolean> =>
        Object.fromEntries(Array.from({ length: count }, (_, index) => [`kind${index}`, false]));
      const types = (count: number): Preferences['types'] =>
        Object.fromEntries(Array.from({ length: count }, (_, index) => [`contract.type${index}`, { [EMAIL]: false }]));
      const longName = 'n'.repeat(129);
      const cases: [unknown, ExpectedIssue[]][] = [
        [
          { channels: {}, types: types(201) },
          [{ path: 'preferences.types', message: 'Expected at most 200 types, got 201' }],
        ],
        [
          { channels: switches(17), types: { 'contract.alpha': switches(17) } },
          [
            { path: 'preferences.channels', message: 'Expected at most 16 channel kinds, got 17' },
            { path: 'preferences.types.contract.alpha', message: 'Expected at most 16 channel kinds, got 17' },
          ],
        ],
        [
          {
            channels: { [longName]: false, '': true },
            types: { [longName]: {}, 'contract.alpha': { [longName]: true } },
          },
          [
            { path: `preferences.channels.${longName}`, message: 'Expected a name of at most 128 characters' },
            { path: 'preferences.channels.', message: 'Expected a non-empty name' },
            { path: `preferences.types.${longName}`, message: 'Expected a name of at most 128 characters' },
            {
              path: `preferences.types.contract.alpha.${longName}`,
              message: 'Expected a name of at most 128 characters',
            },
          ],
        ],
        [
          { channels: {}, types: { '': { [EMAIL]: true } } },
          [{ path: 'preferences.types.', message: 'Expected a non-empty name' }],
        ],
      ];
      for (const [preferences, issues] of cases) {
        await expectIssues(context.store.setPreferences(userId, loose(preferences)), issues);
      }
      expect((await context.store.getPreferences([userId])).get(userId)).toEqual(stored);
      // At the limits exactly, it is stored.
      const atLimits: Preferences = {
        channels: switches(16),
        types: { ...types(199), ['t'.repeat(128)]: switches(16) },
      };
      await context.store.setPreferences(userId, atLimits);
      expect((await context.store.getPreferences([userId])).get(userId)).toEqual(atLimits);
    });
  });
}
