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
  const namespace = `test-${randomUUID()}`;
  const start = async (): Promise<TestGateway> => {
    const gateway = await startTestGateway({ store, redis: redisClient(), namespace, ...settings });
    cleanups.push(() => gateway.stop());
    return gateway;
  };
  return { store, namespace, first: await start(), second: await start() };
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

  it('syncs seen and archive state between tabs held by different gateways, unarchived items whole', async () => {
    const { store, first, second } = await gatewayPair();
    const [item] = await insertItems(store, 'ann', 1);
    const tabA = await hello(first.url, 'ann', 1);
    const tabB = await hello(second.url, 'ann', 1);
    tabA.send({ type: 'seenAll', upToPosition: 1 });
    expect(await tabB.next('seen')).toEqual({ type: 'seen', ids: [], all: true, upToPosition: 1 });
    expect((await tabB.next('unread')).counts).toEqual({ total: 1, unseen: 0, byType: { 'ticket.assigned': 1 } });
    tabA.send({ type: 'archive', ids: [item!.id] });
    expect(await tabB.next('archived')).toEqual({ type: 'archived', ids: [item!.id] });
    tabB.send({ type: 'unarchive', ids: [item!.id] });
    const back = await tabA.next('unarchived');
    expect(back.items.map((each) => each.id)).toEqual([item!.id]);
    expect(back.items[0]!.archivedAt).toBeUndefined();
  });

  it('replays from a RedisStore: undelivered on a first connect, everything after the position on resume', async () => {
    const redis = redisClient();
    const namespace = `test-${randomUUID()}`;
    const store = new RedisStore({ redis, namespace });
    const gateway = await startTestGateway({ store, redis, namespace });
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
    const { store, namespace, first } = await gatewayPair();
    const worker = createHerald({
      store,
      channels: [createRealtimePublisher({ redis: redisClient(), namespace })],
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

  it('warns once, naming both, when a publisher uses a namespace no gateway listens on', async () => {
    const { store, namespace } = await gatewayPair();
    const warnings: { message: string; context: unknown }[] = [];
    const logger = {
      debug() {},
      info() {},
      warn(message: string, context?: unknown) {
        warnings.push({ message, context });
      },
      error() {},
    };
    const mismatched = `${namespace}-elsewhere`;
    const worker = createHerald({
      store,
      channels: [createRealtimePublisher({ redis: redisClient(), namespace: mismatched, logger })],
    });
    cleanups.push(() => worker.close());
    for (const title of ['first', 'second']) {
      await (await worker.notify(ticketAssigned, { to: 'ann', payload: { title } })).settled;
    }
    await waitUntil(() => warnings.length > 0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain(`no gateway listens on namespace "${mismatched}", but gateways listen on "`);
    expect((warnings[0]!.context as { gatewayNamespaces: string[] }).gatewayNamespaces).toContain(namespace);

    // The publisher with the gateways' namespace stays quiet though nobody is online to receive.
    const quietWarnings: unknown[] = [];
    const matched = createHerald({
      store,
      channels: [
        createRealtimePublisher({
          redis: redisClient(),
          namespace,
          logger: { ...logger, warn: (message: string) => void quietWarnings.push(message) },
        }),
      ],
    });
    cleanups.push(() => matched.close());
    const offline = await matched.notify(ticketAssigned, { to: 'bea', payload: { title: 'offline' } });
    expect((await offline.settled).queued).toBe(1);
    const registry = await redisClient().zrangebyscore('herald:realtime-namespaces', Date.now() - 60_000, '+inf');
    expect(registry).toContain(namespace);
    expect(quietWarnings).toEqual([]);
  });

  it('refuses the settings the namespace replaced, before connecting anything', () => {
    const redis = redisClient();
    expect(() => createRealtimePublisher({ redis, prefix: 'herald:realtime:' } as never)).toThrow(
      'createRealtimePublisher has no `prefix` setting any more: give it `namespace` (default "herald"), the one name the store, the runner, the gateway and the publisher share.',
    );
    expect(() => createRealtimePublisher({ redis, namespace: 'app:realtime' })).toThrow(
      'createRealtimePublisher namespace must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit: got "app:realtime".',
    );
  });
});
