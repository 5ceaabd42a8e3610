import { createHerald, type Device, defineNotification, type Herald } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { createFcmPeer, type FcmPeer } from '@herald/test-peers/fcm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFcmChannel } from './fcm-channel';

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ ticketId: z.string(), title: z.string() }),
  channels: {
    push: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title, data: { ticketId: payload.ticketId } }),
  },
});

let peer: FcmPeer;
let herald: Herald | undefined;

beforeAll(async () => {
  peer = await createFcmPeer({ projectId: 'herald-fcm-notify' });
});

afterEach(async () => {
  await herald?.close();
  herald = undefined;
  peer.reset();
});

afterAll(async () => {
  await peer?.close();
});

function start(): { herald: Herald; removed: { device: Device; reason: string }[] } {
  const instance = createHerald({
    store: new MemoryStore(),
    channels: [createFcmChannel({ messaging: peer.createMessaging() })],
  });
  herald = instance;
  const removed: { device: Device; reason: string }[] = [];
  instance.on('device.removed', (event) => removed.push(event));
  return { herald: instance, removed };
}

const delivered = (): string[] =>
  peer.requests
    .filter((request) => request.token !== undefined && !peer.deadTokens.has(request.token))
    .map((request) => request.token as string)
    .sort();

describe('notify through the fcm channel', () => {
  it('delivers to the live devices of a user, removes the dead one from the store and emits device.removed', async () => {
    const { herald, removed } = start();
    await herald.devices.register('user-1', { token: 'phone', platform: 'android' });
    await herald.devices.register('user-1', { token: 'tablet', platform: 'ios' });
    await herald.devices.register('user-1', { token: 'old-phone', platform: 'android' });
    peer.deadTokens.add('old-phone');

    const result = await herald.notify(ticketAssigned, {
      to: 'user-1',
      payload: { ticketId: 'T-1', title: 'Printer on fire' },
    });
    const report = await result.settled;

    expect(report).toMatchObject({ total: 1, sent: 1, failed: 0 });
    expect(delivered()).toEqual(['phone', 'tablet']);
    expect(peer.requests).toHaveLength(3);
    expect((await herald.devices.list('user-1')).map((device) => device.token).sort()).toEqual(['phone', 'tablet']);
    expect(removed).toEqual([
      { device: expect.objectContaining({ token: 'old-phone', userId: 'user-1' }), reason: 'invalid-token' },
    ]);
    const { records } = await herald.deliveries.list({ notificationId: result.id });
    expect(records).toEqual([
      expect.objectContaining({ status: 'sent', channelId: 'fcm', detail: 'sent to 2 of 3 devices; 1 dead' }),
    ]);

    // The next notification goes to the live devices only.
    peer.reset();
    const again = await herald.notify(ticketAssigned, {
      to: 'user-1',
      payload: { ticketId: 'T-2', title: 'Still on fire' },
    });
    expect(await again.settled).toMatchObject({ sent: 1, failed: 0 });
    expect(peer.requests.map((request) => request.token).sort()).toEqual(['phone', 'tablet']);
    expect(removed).toHaveLength(1);
  });

  it('fails a user whose only device is dead, removes it, and leaves other users alone', async () => {
    const { herald, removed } = start();
    await herald.devices.register('user-dead', { token: 'dead-token', platform: 'web' });
    await herald.devices.register('user-live', { token: 'live-token', platform: 'web' });
    peer.deadTokens.add('dead-token');

    const result = await herald.notify(ticketAssigned, {
      to: ['user-dead', 'user-live', 'user-without-devices'],
      payload: { ticketId: 'T-3', title: 'Printer on fire' },
    });
    const report = await result.settled;

    expect(report).toMatchObject({ total: 3, sent: 1, failed: 1, skipped: 1 });
    expect(report.failures).toEqual([expect.objectContaining({ recipientId: 'user-dead', code: 'INVALID_RECIPIENT' })]);
    expect(report.skips).toEqual([expect.objectContaining({ recipientId: 'user-without-devices' })]);
    expect(await herald.devices.list('user-dead')).toEqual([]);
    expect((await herald.devices.list('user-live')).map((device) => device.token)).toEqual(['live-token']);
    expect(removed.map((event) => [event.device.token, event.reason])).toEqual([['dead-token', 'invalid-token']]);
  });
});
