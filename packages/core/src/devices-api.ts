// herald.devices: push tokens registered per user, merged into recipients at notify time. A token belongs to the
// user who registered it; moving it to another user takes `takeOver`. A user holds at most `maxDevicesPerUser`.

import { ConfigurationError, HeraldError } from './errors';
import type { EventBus } from './event-bus';
import type { DevicesApi } from './herald-types';
import type { Store } from './spec/store';
import { storeLimits } from './store-kit/store-limits';
import { assertNonEmptyString } from './validation';

export interface DevicesApiSettings {
  maxDevicesPerUser?: number | undefined;
}

function checkMaxDevicesPerUser(value: unknown): number {
  if (value === undefined) return storeLimits.defaultMaxDevicesPerUser;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > storeLimits.maxDevicesPerUser) {
    throw new ConfigurationError(
      `createHerald: maxDevicesPerUser must be an integer from 1 to ${storeLimits.maxDevicesPerUser}, got ${String(value)}.`,
    );
  }
  return value;
}

export function createDevicesApi(
  store: Store,
  events: EventBus,
  now: () => string,
  settings: DevicesApiSettings = {},
): DevicesApi {
  const maxDevices = checkMaxDevicesPerUser(settings.maxDevicesPerUser);
  return {
    async register(userId, device, options = {}) {
      assertNonEmptyString(userId, 'userId');
      assertNonEmptyString(device?.token, 'token');
      assertNonEmptyString(device?.platform, 'platform');
      const stored = { token: device.token, platform: device.platform, userId, createdAt: now() };
      // The store checks takeOver's type (a non-boolean is a ValidationError at `options.takeOver`).
      const result = await store.registerDevice(stored, { takeOver: options?.takeOver ?? false, maxDevices });
      if (result.status === 'taken') {
        // Never says whose it is: the caller may be anyone holding the token.
        throw new HeraldError(
          'DEVICE_TAKEN',
          'This device token is registered to another user; it moves only with devices.register(userId, device, { takeOver: true }).',
        );
      }
      if (result.takenOver) events.emit('device.removed', { device: result.takenOver, reason: 'taken-over' });
      for (const evicted of result.evicted) events.emit('device.removed', { device: evicted, reason: 'evicted' });
      events.emit('device.registered', { device: stored });
      return stored;
    },
    async list(userId) {
      assertNonEmptyString(userId, 'userId');
      return (await store.listDevices([userId])).get(userId) ?? [];
    },
    async remove(token, options = {}) {
      assertNonEmptyString(token, 'token');
      if (options.userId !== undefined) assertNonEmptyString(options.userId, 'userId');
      const device = await store.removeDevice(token, options);
      if (device) events.emit('device.removed', { device, reason: 'unregistered' });
      return device !== undefined;
    },
  };
}
