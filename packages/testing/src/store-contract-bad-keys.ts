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
      ];
      for (const [input, issues] of cases) await expectIssues(context.store.registerDevice(input), issues);
      expect((await context.store.listDevices([userId])).get(userId) ?? []).toEqual([]);
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
  });
}
