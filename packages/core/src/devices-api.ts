// herald.devices: push tokens registered per user, merged into recipients at notify time.

import type { EventBus } from './event-bus';
import type { DevicesApi } from './herald-types';
import type { Store } from './spec/store';
import { assertNonEmptyString } from './validation';

export function createDevicesApi(store: Store, events: EventBus, now: () => string): DevicesApi {
  return {
    async register(userId, device) {
      assertNonEmptyString(userId, 'userId');
      assertNonEmptyString(device?.token, 'token');
      assertNonEmptyString(device?.platform, 'platform');
      const stored = { token: device.token, platform: device.platform, userId, createdAt: now() };
      await store.registerDevice(stored);
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
