// RedisStore and the ioredis client it is given: ioredis 6 speaks RESP3 by default and can map its replies to
// new shapes (`replyMapping: 'resp3'`). The store works on either wire protocol and refuses the mapping it
// cannot read, instead of returning empty pages.
import { ConfigurationError } from '@herald/core';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis';

const url = process.env.HERALD_TEST_REDIS_URL;
if (!url) throw new Error('HERALD_TEST_REDIS_URL is not set: run the tests through the root vitest config.');
const namespace = `test-redis-client-${Math.random().toString(36).slice(2, 10)}`;

const clients: Redis[] = [];
function connect(options: { protocol?: 2; replyMapping?: 'resp3'; lazyConnect?: boolean } = {}): Redis {
  const client = new Redis(url!, { maxRetriesPerRequest: 1, commandTimeout: 5_000, ...options }) as Redis;
  clients.push(client);
  return client;
}

afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
});

async function roundTrip(store: RedisStore, userId: string): Promise<void> {
  const createdAt = new Date().toISOString();
  await store.insertInboxItems([
    {
      id: `${userId}-1`,
      userId,
      notificationId: 'n-1',
      type: 'ticket.assigned',
      title: 'One',
      body: 'First',
      createdAt,
    },
    {
      id: `${userId}-2`,
      userId,
      notificationId: 'n-2',
      type: 'ticket.closed',
      title: 'Two',
      body: 'Second',
      createdAt,
    },
  ]);
  const page = await store.listInbox(userId, {});
  expect(page.items.map((item) => item.id)).toEqual([`${userId}-2`, `${userId}-1`]);
  expect(await store.unreadCount(userId)).toEqual({
    total: 2,
    unseen: 2,
    byType: { 'ticket.assigned': 1, 'ticket.closed': 1 },
  });
}

describe('RedisStore and its ioredis client', () => {
  it('works on the RESP2 wire protocol as on the default', async () => {
    await roundTrip(new RedisStore({ redis: connect(), namespace }), 'default-protocol');
    await roundTrip(new RedisStore({ redis: connect({ protocol: 2 }), namespace }), 'resp2');
  });

  it("refuses a client with replyMapping 'resp3', saying what to pass instead", () => {
    const client = connect({ replyMapping: 'resp3', lazyConnect: true });
    expect(() => new RedisStore({ redis: client, namespace })).toThrow(ConfigurationError);
    expect(() => new RedisStore({ redis: client, namespace })).toThrow(/replyMapping: 'legacy'/);
  });

  it('works on a duplicate of such a client with the default mapping', async () => {
    const client = connect({ replyMapping: 'resp3', lazyConnect: true });
    const legacy = client.duplicate({ replyMapping: 'legacy' } as Partial<RedisOptions>);
    clients.push(legacy);
    await roundTrip(new RedisStore({ redis: legacy, namespace }), 'duplicate');
  });
});
