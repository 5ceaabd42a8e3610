// Several gateways, each registered with a Herald of its own as in separate processes (and a socket-less
// worker), sharing one store and one real redis-server.

import { randomUUID } from 'node:crypto';
import { createHerald, defineNotification, type InAppContent, type InboxItem } from '@herald/core';
import type { SendRequest } from '@herald/core/spec';
import { MemoryStore } from '@herald/storage';
import { RedisStore } from '@herald/storage/redis';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRealtimePublisher } from './realtime-publisher';
import { connectProtocolClient, insertItems, startTestGateway, type TestGateway, waitUntil } from './test-support';
import type { WebSocketGatewaySettings } from './websocket-gateway';

const redisUrl = process.env.HERALD_TEST_REDIS_URL;
if (!redisUrl) throw new Error('HERALD_TEST_REDIS_URL is not set: run through the root vitest config');

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ title: z.string() }),
  channels: { inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title }) },
});

const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function redisClient(): Redis {
  const client = new Redis(redisUrl!, { lazyConnect: false, maxRetriesPerRequest: 2 });
  cleanups.push(() => client.quit());
  return client;
}

async function gatewayPair(settings: Partial<WebSocketGatewaySettings> = {}) {
  const store = new MemoryStore();
  const redisPrefix = `test:${randomUUID()}:`;
  const start = async (): Promise<TestGateway> => {
    const gateway = await startTestGateway({ store, redis: redisClient(), redisPrefix, ...settings });
    cleanups.push(() => gateway.stop());
    return gateway;
  };
  return { store, redisPrefix, first: await start(), second: await start() };
}

async function hello(url: string, userId: string, lastPosition?: number) {
  const client = await connectProtocolClient(url, { token: `user:${userId}` });
  cleanups.push(() => client.close());
  client.send(lastPosition === undefined ? { type: 'hello' } : { type: 'hello', lastPosition });
  await client.next('welcome');
  return client;
}

function sendRequest(item: InboxItem): SendRequest<InAppContent> {
  return {
    deliveryId: `d-${item.id}`,
    notificationId: item.notificationId,
    type: item.type,
    recipient: { id: item.userId },
    content: { title: item.title, body: item.body },
    attempt: 1,
    signal: new AbortController().signal,
    inboxItem: item,
  };
}

describe('multi-process fan-out through Redis', () => {
  it('delivers an item sent on one gateway to the user’s sockets on another; sent counts remote sockets', async () => {
    const { store, first, second } = await gatewayPair();
    const onSecond = await hello(second.url, 'ann');
    const [item] = await insertItems(store, 'ann', 1);
    expect(await first.gateway.channel.send(sendRequest(item!))).toEqual({ status: 'sent' });
    expect((await onSecond.next('notification')).item.id).toBe(item!.id);
    const [forBob] = await insertItems(store, 'bob', 1);
    expect((await first.gateway.channel.send(sendRequest(forBob!))).status).toBe('queued');
  });

  it('repairs a lost pub/sub message from the store when the next position shows the gap', async () => {
    const { store, first, second } = await gatewayPair();
    const client = await hello(second.url, 'ann');
    const [lost, next] = await insertItems(store, 'ann', 2);
    // `lost` was never published (as if Redis dropped it); only `next` travels.
    await first.gateway.channel.send(sendRequest(next!));
    const received = [
      (await client.next('notification')).item.position,
      (await client.next('notification')).item.position,
    ];
    expect(received).toEqual([lost!.position, next!.position]);
    expect(second.gateway.stats().repairs).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.frames.filter((frame) => frame.type === 'notification')).toHaveLength(2);
  });

  it('finds a lost newest item on the next heartbeat, with no later item to reveal the gap', async () => {
    const { store, second } = await gatewayPair({ heartbeatMs: 50 });
    const client = await hello(second.url, 'ann');
    const [lost] = await insertItems(store, 'ann', 1);
    expect((await client.next('notification')).item.id).toBe(lost!.id);
  });

  it('syncs read state between tabs held by different gateways', async () => {
    const { store, first, second } = await gatewayPair();
    const [item] = await insertItems(store, 'ann', 1);
    const tabA = await hello(first.url, 'ann', 1);
    const tabB = await hello(second.url, 'ann', 1);
    tabA.send({ type: 'read', ids: [item!.id] });
    expect(await tabB.next('read')).toEqual({ type: 'read', ids: [item!.id] });
    expect((await tabB.next('unread')).counts.total).toBe(0);
    tabB.send({ type: 'unread', ids: [item!.id] });
    expect(await tabA.next('unreadItems')).toEqual({ type: 'unreadItems', ids: [item!.id] });
  });

  it('replays from a RedisStore: undelivered on a first connect, everything after the position on resume', async () => {
    const redis = redisClient();
    const prefix = `test:${randomUUID()}:`;
    const store = new RedisStore({ redis, prefix });
    const gateway = await startTestGateway({ store, redis, redisPrefix: prefix });
    cleanups.push(() => gateway.stop());
    const items = await insertItems(store, 'ann', 4);
    await store.markDelivered('ann', [items[0]!.id, items[2]!.id], new Date().toISOString());
    const first = await hello(gateway.url, 'ann');
    const firstPositions = [
      (await first.next('notification')).item.position,
      (await first.next('notification')).item.position,
    ];
    expect(firstPositions).toEqual([2, 4]);
    expect(await first.next('synced')).toEqual({ type: 'synced', lastPosition: 4 });
    first.send({ type: 'ack', ids: [items[1]!.id, items[3]!.id] });
    await waitUntil(async () => (await store.listInbox('ann', { status: 'undelivered' })).items.length === 0);
    const resumed = await hello(gateway.url, 'ann', 1);
    const resumedPositions: number[] = [];
    for (let index = 0; index < 3; index++) resumedPositions.push((await resumed.next('notification')).item.position);
    expect(resumedPositions).toEqual([2, 3, 4]);
  });

  it('lets a worker with no sockets publish items and read state that gateways push', async () => {
    const { store, redisPrefix, first } = await gatewayPair();
    const worker = createHerald({
      store,
      channels: [createRealtimePublisher({ redis: redisClient(), prefix: redisPrefix })],
    });
    cleanups.push(() => worker.close());

    const offline = await worker.notify(ticketAssigned, { to: 'ann', payload: { title: 'nobody home' } });
    expect((await offline.settled).queued).toBe(1);

    const client = await hello(first.url, 'ann');
    expect((await client.next('notification')).item.body).toBe('nobody home');
    const online = await worker.notify(ticketAssigned, { to: 'ann', payload: { title: 'from the worker' } });
    expect((await online.settled).sent).toBe(1);
    const live = await client.next('notification', (frame) => frame.item.body === 'from the worker');

    await worker.inbox.markRead('ann', [live.item.id]);
    expect(await client.next('read')).toEqual({ type: 'read', ids: [live.item.id] });
    await waitUntil(() => client.frames.some((frame) => frame.type === 'unread'));
  });
});
