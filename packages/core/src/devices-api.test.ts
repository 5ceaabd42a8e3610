// herald.devices: who a token belongs to, the per-user cap, and the events each registration emits.
import { MemoryStore } from '@herald/storage';
import { createTestChannel } from '@herald/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, HeraldError, ValidationError } from './errors';
import type { HeraldEvents } from './events';
import { createHerald } from './herald';
import './herald.fixture';
import type { HeraldSettings } from './herald-types';
import { defineNotification } from './notification';

type DeviceEvent =
  | ['registered', string, string]
  | ['removed', string, string, HeraldEvents['device.removed']['reason']];

function setup(settings: Partial<HeraldSettings> = {}) {
  const herald = createHerald({ store: new MemoryStore(), channels: [], ...settings });
  const events: DeviceEvent[] = [];
  herald.on('device.registered', ({ device }) => events.push(['registered', device.userId, device.token]));
  herald.on('device.removed', ({ device, reason }) => events.push(['removed', device.userId, device.token, reason]));
  return { herald, events };
}

async function tokensOf(herald: ReturnType<typeof setup>['herald'], userId: string): Promise<string[]> {
  return (await herald.devices.list(userId)).map((device) => device.token).sort();
}

describe('devices: a token belongs to the user who registered it', () => {
  it("refuses another user's token with DEVICE_TAKEN, naming nobody, and changes nothing", async () => {
    const { herald, events } = setup();
    await herald.devices.register('ana', { token: 'tablet', platform: 'android' });
    events.length = 0;
    const refused = await herald.devices.register('ben', { token: 'tablet', platform: 'ios' }).catch((e) => e);
    expect(HeraldError.is(refused)).toBe(true);
    expect(refused.code).toBe('DEVICE_TAKEN');
    expect(refused.message).not.toContain('ana');
    expect(refused.message).toContain('takeOver');
    expect(await herald.devices.list('ana')).toMatchObject([{ token: 'tablet', userId: 'ana', platform: 'android' }]);
    expect(await herald.devices.list('ben')).toEqual([]);
    expect(events).toEqual([]);
  });

  it('moves it with { takeOver: true }, removing the previous registration (device.removed: taken-over)', async () => {
    const { herald, events } = setup();
    await herald.devices.register('ana', { token: 'tablet', platform: 'android' });
    events.length = 0;
    const device = await herald.devices.register('ben', { token: 'tablet', platform: 'android' }, { takeOver: true });
    expect(device).toMatchObject({ token: 'tablet', userId: 'ben' });
    expect(events).toEqual([
      ['removed', 'ana', 'tablet', 'taken-over'],
      ['registered', 'ben', 'tablet'],
    ]);
    expect(await herald.devices.list('ana')).toEqual([]);
    expect(await tokensOf(herald, 'ben')).toEqual(['tablet']);
    expect(await herald.devices.remove('tablet', { userId: 'ana' })).toBe(false);
  });

  it('lets the owner register a token again (it becomes their newest), with or without takeOver', async () => {
    const { herald, events } = setup();
    await herald.devices.register('ana', { token: 'phone', platform: 'android' });
    await herald.devices.register('ana', { token: 'phone', platform: 'ios' });
    await herald.devices.register('ana', { token: 'phone', platform: 'ios' }, { takeOver: true });
    expect(await herald.devices.list('ana')).toMatchObject([{ token: 'phone', platform: 'ios' }]);
    expect(events.map(([what]) => what)).toEqual(['registered', 'registered', 'registered']);
  });

  it('refuses a takeOver that is not a boolean, registering nothing', async () => {
    const { herald } = setup();
    const refused = await herald.devices
      .register('ana', { token: 'phone', platform: 'ios' }, { takeOver: 'yes' as never })
      .catch((e) => e);
    expect(ValidationError.is(refused)).toBe(true);
    expect(refused.issues).toEqual([{ path: 'options.takeOver', message: 'Expected true or false' }]);
    expect(await herald.devices.list('ana')).toEqual([]);
  });
});

describe('devices: at most maxDevicesPerUser per user', () => {
  it('evicts the device registered longest ago past the cap (device.removed: evicted)', async () => {
    const { herald, events } = setup({ maxDevicesPerUser: 2 });
    await herald.devices.register('ana', { token: 'old-phone', platform: 'ios' });
    await herald.devices.register('ana', { token: 'laptop', platform: 'web' });
    // Registering again (as apps do at start) keeps a device from being the oldest.
    await herald.devices.register('ana', { token: 'old-phone', platform: 'ios' });
    events.length = 0;
    await herald.devices.register('ana', { token: 'new-phone', platform: 'ios' });
    expect(events).toEqual([
      ['removed', 'ana', 'laptop', 'evicted'],
      ['registered', 'ana', 'new-phone'],
    ]);
    expect(await tokensOf(herald, 'ana')).toEqual(['new-phone', 'old-phone']);
  });

  it('keeps 10 by default, so a notify fans out to at most 10 registered tokens', async () => {
    const pushed = defineNotification({
      type: 'chat.message',
      schema: z.object({ text: z.string() }),
      channels: { push: ({ payload }) => ({ title: 'Message', body: payload.text }) },
    });
    const push = createTestChannel('push');
    const { herald, events } = setup({ channels: [push] });
    for (let index = 0; index < 25; index++) {
      await herald.devices.register('ana', { token: `token-${String(index).padStart(2, '0')}`, platform: 'web' });
    }
    expect(await herald.devices.list('ana')).toHaveLength(10);
    expect(events.filter(([what]) => what === 'removed')).toHaveLength(15);
    await (await herald.notify(pushed, { to: 'ana', payload: { text: 'hi' } })).settled;
    const tokens = push.calls[0]?.request.recipient.pushTokens ?? [];
    expect([...tokens].sort()).toEqual(Array.from({ length: 10 }, (_, index) => `token-${15 + index}`));
  });

  it.each([0, 1.5, 1001, '3', Number.NaN])('refuses maxDevicesPerUser %s at createHerald', (value) => {
    expect(() => setup({ maxDevicesPerUser: value as number })).toThrow(ConfigurationError);
    expect(() => setup({ maxDevicesPerUser: value as number })).toThrow(
      /maxDevicesPerUser must be an integer from 1 to 1000/,
    );
  });
});
