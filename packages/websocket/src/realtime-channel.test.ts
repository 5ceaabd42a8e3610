// The channel the gateway and the publisher share, seen from Redis: what it publishes for Herald's events.

import { randomUUID } from 'node:crypto';
import { createHerald } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRealtimePublisher } from './realtime-publisher';
import { insertItems, waitUntil } from './test-support';

const redisUrl = process.env.HERALD_TEST_REDIS_URL;
if (!redisUrl) throw new Error('HERALD_TEST_REDIS_URL is not set: run through the root vitest config');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function redisClient(): Redis {
  const client = new Redis(redisUrl!, { maxRetriesPerRequest: 2 });
  cleanups.push(() => client.quit());
  return client;
}

describe('realtime channel', () => {
  it('relays the read events of every Herald it is attached to, and none after close()', async () => {
    const namespace = `test-${randomUUID()}`;
    const subscriber = redisClient();
    const received: { kind: string; userId: string }[] = [];
    subscriber.on('message', (_channel, text: string) => received.push(JSON.parse(text)));
    await subscriber.subscribe(`${namespace}:realtime:user:ann`);
    const publisher = createRealtimePublisher({ redis: redisClient(), namespace });
    const stores = [new MemoryStore(), new MemoryStore()];
    const heralds = stores.map((store) => createHerald({ store, channels: [publisher] }));
    for (const [index, store] of stores.entries()) {
      const [item] = await insertItems(store, 'ann', 1);
      await heralds[index]!.inbox.markRead('ann', [item!.id]);
    }
    await waitUntil(() => received.length === 2);
    expect(received.map((message) => [message.kind, message.userId])).toEqual([
      ['read', 'ann'],
      ['read', 'ann'],
    ]);
    await publisher.close?.();
    for (const [index, store] of stores.entries()) {
      const [late] = await insertItems(store, 'ann', 1);
      await heralds[index]!.inbox.markRead('ann', [late!.id]);
    }
    // Published from a connection opened after those reads: anything they published arrives before it.
    await redisClient().publish(`${namespace}:realtime:user:ann`, JSON.stringify({ kind: 'marker', userId: 'ann' }));
    await waitUntil(() => received.length === 3);
    expect(received.at(-1)?.kind).toBe('marker');
    for (const herald of heralds) await herald.close();
  });
});
