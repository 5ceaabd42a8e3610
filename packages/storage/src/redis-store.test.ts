// RedisStore against the real redis-server the test run starts: the shared Store contract, then what only a
// networked store can get wrong — many connections racing on one user, and its own settings.
import { ConfigurationError, type InboxItem, StoreError } from '@herald/core';
import type { NewInboxItem } from '@herald/core/spec';
import { inboxPages } from '@herald/core/store-kit';
import { describeStoreContract, unreadTruth } from '@herald/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from './redis';

const url = process.env.HERALD_TEST_REDIS_URL;
if (!url) throw new Error('HERALD_TEST_REDIS_URL is not set: run the tests through the root vitest config.');
const namespace = `test-redis-store-${Math.random().toString(36).slice(2, 10)}`;
/** The start of every key of the stores in this file. */
const prefix = `${namespace}:`;

const clients: Redis[] = [];
function connect(): Redis {
  const client = new Redis(url!, { maxRetriesPerRequest: 1, commandTimeout: 5_000 });
  clients.push(client);
  return client;
}

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
});

// The concurrency cases spread their calls over peers, each on a connection of its own.
describeStoreContract('RedisStore', () => new RedisStore({ redis, namespace }), {
  makePeer: () => new RedisStore({ redis: connect(), namespace }),
});

let counter = 0;
function unique(label: string): string {
  counter += 1;
  return `${label}-${counter}`;
}

function item(userId: string, type = 'ticket.assigned'): NewInboxItem {
  return {
    id: unique('item'),
    userId,
    notificationId: unique('notification'),
    type,
    title: 'Ticket assigned',
    body: 'Printer on fire',
    createdAt: new Date().toISOString(),
  };
}

async function everything(store: RedisStore, userId: string): Promise<InboxItem[]> {
  const all: InboxItem[] = [];
  for await (const page of inboxPages(store, userId, { limit: 100 })) for (const each of page.items) all.push(each);
  return all;
}

describe('RedisStore across many connections', () => {
  it('keeps unreadCount exact while 50 connections insert, read, read-all and unread one user', async () => {
    const stores = Array.from({ length: 50 }, () => new RedisStore({ redis: connect(), namespace }));
    const userId = unique('busy-user');
    const types = ['alpha', 'beta', 'gamma'];
    const seeded = await stores[0]!.insertInboxItems(
      Array.from({ length: 60 }, (_, index) => item(userId, types[index % 3])),
    );
    const ids = seeded.map((each) => each.id);
    let inserted = seeded.length;
    const at = (): string => new Date().toISOString();
    await Promise.all(
      stores.map(async (store, connection) => {
        for (let round = 0; round < 8; round++) {
          const pick = ids[(connection * 7 + round * 13) % ids.length]!;
          const other = ids[(connection * 11 + round * 5) % ids.length]!;
          switch ((connection + round) % 5) {
            case 0: {
              const batch = [item(userId, types[round % 3]), item(userId, types[connection % 3])];
              inserted += batch.length;
              ids.push(...batch.map((each) => each.id));
              await store.insertInboxItems(batch);
              break;
            }
            case 1:
              await store.markRead(userId, [pick, other], at());
              break;
            case 2:
              await store.markUnread(userId, [pick, other]);
              break;
            case 3:
              await store.markAllRead(userId, round % 2 === 0 ? {} : { type: types[connection % 3]! }, at());
              break;
            default:
              await store.markDelivered(userId, [pick], at());
          }
        }
      }),
    );
    const all = await everything(stores[0]!, userId);
    expect(all).toHaveLength(inserted);
    expect(await stores[0]!.unreadCount(userId)).toEqual(unreadTruth(all));
    expect((await stores[0]!.listInbox(userId, { status: 'unread', limit: 100 })).items.length).toBe(
      Math.min(100, unreadTruth(all).total),
    );
  });

  it('lets exactly one of 100 begins with one key, from 100 connections, create its notification', async () => {
    const stores = Array.from({ length: 100 }, () => new RedisStore({ redis: connect(), namespace }));
    const key = unique('key');
    const leaseUntil = new Date(Date.now() + 60_000).toISOString();
    const results = await Promise.all(
      stores.map((store, index) =>
        store.beginNotification(
          {
            id: `${key}-notification-${index}`,
            type: 'ticket.assigned',
            payload: {},
            idempotencyKey: key,
            recipients: [{ id: 'ann' }],
            kinds: ['inApp'],
            createdAt: new Date().toISOString(),
            status: 'dispatching',
          },
          { leaseUntil, idempotencyKey: { key, ttlMs: 60_000 } },
        ),
      ),
    );
    const winners = results.flatMap((result, index) => (result.created ? [`${key}-notification-${index}`] : []));
    expect(winners).toHaveLength(1);
    for (const result of results) if (!result.created) expect(result.notificationId).toBe(winners[0]);
    expect(await stores[0]!.getIdempotencyKey(key)).toBe(winners[0]);
  });
});

describe('RedisStore bulk insert', () => {
  it('stores 10,000 items for 10,000 users in one call, each at position 1 with its own counter', async () => {
    const store = new RedisStore({ redis, namespace });
    const run = unique('bulk');
    const items = Array.from({ length: 10_000 }, (_, index) => item(`${run}-user-${index}`));
    const stored = await store.insertInboxItems(items);
    expect(stored.map((each) => each.id)).toEqual(items.map((each) => each.id));
    expect(stored.every((each) => each.position === 1)).toBe(true);
    for (const index of [0, 4_321, 9_999]) {
      expect(await store.unreadCount(`${run}-user-${index}`)).toEqual({
        total: 1,
        unseen: 1,
        byType: { 'ticket.assigned': 1 },
      });
      expect(await store.lastPosition(`${run}-user-${index}`)).toBe(1);
    }
  });

  it('creates large delivery batches in chunks; a batch overlapping stored ids creates only the new ones', async () => {
    const store = new RedisStore({ redis, namespace });
    const notificationId = unique('notification');
    const batch = (count: number, from: number) =>
      Array.from({ length: count }, (_, index) => ({
        id: `${notificationId}.${from + index}.inApp`,
        notificationId,
        type: 'ticket.assigned',
        recipientId: `user-${(from + index) % 7}`,
        kind: 'inApp' as const,
        status: 'pending' as const,
        attempts: 0,
        createdAt: '2024-01-01T00:00:00.000Z',
        updatedAt: '2024-01-01T00:00:00.000Z',
        ...(index === 3 ? { providerMessageId: `${notificationId}-provider-3` } : {}),
      }));
    const created = batch(1_201, 0);
    await store.createDeliveries(created);
    const stored = await store.getDeliveries(created.map((record) => record.id));
    expect(stored).toEqual(created);
    expect((await store.findDeliveryByProviderMessageId(`${notificationId}-provider-3`))?.id).toBe(created[3]!.id);
    const page = await store.listDeliveries({ notificationId, limit: 100 });
    expect(page.records[0]?.id).toBe(created[1_200]!.id);
    const forUser = await store.listDeliveries({ recipientId: 'user-5', notificationId, limit: 100 });
    expect(forUser.records.every((record) => record.recipientId === 'user-5')).toBe(true);

    // The second batch names a stored record at position 1,100 (past the first chunk of 500), changed since.
    await store.updateDelivery(created[700]!.id, { status: 'sent' });
    const overlapping = [...batch(1_100, 5_000), created[700]!, ...batch(100, 7_000)];
    await store.createDeliveries(overlapping);
    expect((await store.getDeliveries([created[700]!.id]))[0]!.status).toBe('sent');
    expect(await store.getDeliveries([overlapping[0]!.id, overlapping[1_150]!.id])).toEqual([
      overlapping[0],
      overlapping[1_150],
    ]);
    let listed = 0;
    let cursor: string | undefined;
    do {
      const next = await store.listDeliveries({ notificationId, limit: 100, ...(cursor ? { cursor } : {}) });
      listed += next.records.length;
      cursor = next.nextCursor;
    } while (cursor !== undefined);
    expect(listed).toBe(1_201 + 1_200);
  });
});

describe('RedisStore indexes', () => {
  it('keeps types apart whose names nest, share prefixes or use multi-byte characters', async () => {
    const store = new RedisStore({ redis, namespace });
    const userId = unique('user');
    const types = ['a', 'a/b', 'a#1:a', 'ab', 'é', 'e', '通知.新'];
    const stored = await store.insertInboxItems(types.flatMap((type) => [item(userId, type), item(userId, type)]));
    await store.markRead(userId, [stored[0]!.id, stored[8]!.id], new Date().toISOString());
    for (const [index, type] of types.entries()) {
      const mine = stored.filter((each) => each.type === type).map((each) => each.id);
      expect((await store.listInbox(userId, { type })).items.map((each) => each.id)).toEqual([...mine].reverse());
      const unread = (await store.listInbox(userId, { type, status: 'unread' })).items.map((each) => each.id);
      expect(unread).toHaveLength(index === 0 || index === 4 ? 1 : 2);
      expect(await store.markAllRead(userId, { type }, new Date().toISOString())).toBe(unread.length);
    }
    expect(await store.unreadCount(userId)).toEqual({ total: 0, unseen: 0, byType: {} });
  });

  it('takes items stored before seen existed as seen, so changing them never moves the unseen counter', async () => {
    const store = new RedisStore({ redis, namespace });
    const userId = unique('user');
    const [legacy, fresh] = await store.insertInboxItems([item(userId), item(userId)]);
    // What an earlier version left: no `v` flag, no unseen index member, not in the unseen counter.
    const base = `${prefix}{u:${userId}}:`;
    await redis.hdel(`${base}i:${legacy!.id}`, 'v');
    await redis.zrem(`${base}x`, `e/${String(legacy!.position).padStart(12, '0')}${legacy!.id}`);
    await redis.hincrby(`${base}counts`, 'e', -1);
    expect(await store.unreadCount(userId)).toEqual({ total: 2, unseen: 1, byType: { 'ticket.assigned': 2 } });
    const at = new Date().toISOString();
    expect(await store.markSeen(userId, [legacy!.id], at)).toEqual([]);
    await store.archive(userId, [legacy!.id], at);
    await store.unarchive(userId, [legacy!.id]);
    await store.markRead(userId, [legacy!.id], at);
    expect(await store.unreadCount(userId)).toEqual({ total: 1, unseen: 1, byType: { 'ticket.assigned': 1 } });
    expect(await store.markAllSeen(userId, {}, at)).toBe(1);
    expect(await store.unreadCount(userId)).toEqual({ total: 1, unseen: 0, byType: { 'ticket.assigned': 1 } });
    expect((await store.getInboxItems(userId, [fresh!.id]))[0]!.seenAt).toBe(at);
  });
});

describe('RedisStore settings', () => {
  it('explains how to get a client when none is given', () => {
    expect(() => new RedisStore({} as never)).toThrow(ConfigurationError);
    expect(() => new RedisStore({} as never)).toThrow(/npm install ioredis.*new Redis\(url\)/);
  });

  it('rejects a namespace with hash-tag braces, the prefix setting it replaced, and a client with keyPrefix', () => {
    expect(() => new RedisStore({ redis, namespace: 'app{1}' })).toThrow(ConfigurationError);
    expect(() => new RedisStore({ redis, namespace: 'app{1}' })).toThrow(
      'RedisStore namespace must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit: got "app{1}".',
    );
    expect(() => new RedisStore({ redis, prefix: 'app:' } as never)).toThrow(
      'RedisStore has no `prefix` setting any more: give it `namespace` (default "herald"), the one name the store, the runner, the gateway and the publisher share.',
    );
    const prefixed = connect();
    prefixed.options.keyPrefix = 'app:';
    expect(() => new RedisStore({ redis: prefixed })).toThrow(/keyPrefix/);
  });

  it('keeps namespaces apart: two stores on one Redis never see each other’s items', async () => {
    const userId = unique('user');
    const one = new RedisStore({ redis, namespace: `${namespace}-one` });
    const two = new RedisStore({ redis, namespace: `${namespace}-two` });
    await one.insertInboxItems([item(userId)]);
    expect(await two.lastPosition(userId)).toBe(0);
    expect(await two.unreadCount(userId)).toEqual({ total: 0, unseen: 0, byType: {} });
    expect(await one.unreadCount(userId)).toEqual({ total: 1, unseen: 1, byType: { 'ticket.assigned': 1 } });
  });

  it('turns a closed connection into a StoreError carrying the cause', async () => {
    const closed = connect();
    const store = new RedisStore({ redis: closed, namespace });
    await closed.quit();
    const error = await store.unreadCount(unique('user')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('STORE');
    expect((error as StoreError).message).toMatch(/^RedisStore\.unreadCount failed: /);
    expect((error as StoreError).cause).toBeInstanceOf(Error);
  });
});
