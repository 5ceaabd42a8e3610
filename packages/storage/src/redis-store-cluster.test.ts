// RedisStore on a real Redis Cluster of three masters: the shared Store contract, where each user's keys, each
// notification's keys and the outbox sit on slots of their own, and the outbox's crash windows between those
// slots (a begin cut short after each of its writes) each ending with exactly one notification, completed.
import { randomUUID } from 'node:crypto';
import { StoreError } from '@herald/core';
import type { NotificationRecord } from '@herald/core/spec';
import { describeStoreContract } from '@herald/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisCluster, startRedisCluster } from '../../../scripts/redis-cluster';
import { RedisStore } from './redis';

const namespace = `test-redis-cluster-${Math.random().toString(36).slice(2, 10)}`;
/** The start of every key of the stores in this file. */
const prefix = `${namespace}:`;
let cluster: RedisCluster;
const clients: Cluster[] = [];

function connect(): Cluster {
  const client = new Cluster([...cluster.nodes], { redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 5_000 } });
  clients.push(client);
  return client;
}

let redis: Cluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
  redis = connect();
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
  await cluster?.stop();
});

describeStoreContract('RedisStore on a Redis Cluster', () => new RedisStore({ redis, namespace }), {
  makePeer: () => new RedisStore({ redis: connect(), namespace }),
});

const unique = (label: string): string => `${label}-${randomUUID()}`;

function record(id: string, idempotencyKey?: string): NotificationRecord {
  return {
    id,
    type: 'ticket.assigned',
    payload: { ticketId: 't-1' },
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    recipients: [{ id: 'ann' }],
    kinds: ['inApp'],
    createdAt: '2024-05-01T10:00:00.000Z',
    status: 'dispatching',
  };
}

const outbox = `${prefix}{outbox}`;
const recordKey = (id: string): string => `${prefix}{n:${id}}:record`;
const claimKey = (key: string): string => `${prefix}{idem:${key}}`;
/** Leases in these tests end long ago, so a lease at `now` takes them at once. */
const ended = Date.UTC(2001, 0, 1);
const now = new Date(Date.UTC(2001, 0, 2)).toISOString();
const leaseUntil = new Date(Date.UTC(2001, 0, 3)).toISOString();

async function slotOf(key: string): Promise<number> {
  return Number(await redis.cluster('KEYSLOT', key));
}

describe('RedisStore on a Redis Cluster: keys and slots', () => {
  it('keeps every key of one user on one slot, and spreads users, notifications and the outbox over the nodes', async () => {
    const store = new RedisStore({ redis, namespace });
    const userId = unique('user');
    await store.insertInboxItems([
      { id: unique('item'), userId, notificationId: 'n', type: 't', title: 'T', body: 'B', createdAt: now },
    ]);
    await store.markRead(userId, [], now);
    const base = `${prefix}{u:${userId}}:`;
    const slots = await Promise.all(
      ['counts', 'x', 'readat', 'deliveries', 'devices'].map((key) => slotOf(base + key)),
    );
    expect(new Set(slots).size).toBe(1);
    const others = await Promise.all([slotOf(outbox), slotOf(recordKey('n')), slotOf(claimKey('k'))]);
    expect(new Set([...others, slots[0]]).size).toBe(4);
  });
});

describe('RedisStore on a Redis Cluster: a begin cut short', () => {
  it('after the outbox entry: the first lease drops the entry and refuses the record if its begin wakes up', async () => {
    const store = new RedisStore({ redis, namespace });
    const id = unique('notification');
    await redis.zadd(outbox, ended, id);
    expect(await store.leaseNotifications({ now, leaseUntil, limit: 1_000 })).toEqual([]);
    expect(await redis.zscore(outbox, id)).toBeNull();
    const late = await store.beginNotification(record(id), { leaseUntil }).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(StoreError);
    expect((late as StoreError).message).toMatch(/took longer than its lease to begin/);
    expect(await store.getNotification(id)).toBeUndefined();
    expect(await redis.zscore(outbox, id)).toBeNull();
  });

  it('after the record, before the key: the relay claims the key for it and hands it over', async () => {
    const store = new RedisStore({ redis, namespace });
    const id = unique('notification');
    const key = unique('key');
    const { status: _status, ...json } = record(id, key);
    await redis.zadd(outbox, ended, id);
    await redis.hset(recordKey(id), 'j', JSON.stringify(json), 's', 'dispatching', 'l', 'x', 't', 60_000);
    const taken = await store.leaseNotifications({ now, leaseUntil, limit: 1_000 });
    expect(taken.filter((each) => each.id === id)).toEqual([{ ...record(id, key), leaseUntil }]);
    expect(await store.getIdempotencyKey(key)).toBe(id);
    // A retry with the key now finds it and resumes that notification instead of creating another.
    const retry = await store.beginNotification(record(unique('notification'), key), {
      leaseUntil,
      idempotencyKey: { key, ttlMs: 60_000 },
    });
    expect(retry).toMatchObject({ created: false, notificationId: id });
    await store.markNotificationDispatched(id);
  });

  it('after the record, while a retry won the key: the relay abandons the record and the winner stands', async () => {
    const store = new RedisStore({ redis, namespace });
    const key = unique('key');
    const winner = record(unique('notification'), key);
    const loser = record(unique('notification'), key);
    expect(
      await store.beginNotification(winner, {
        leaseUntil: new Date(Date.now() + 60_000).toISOString(),
        idempotencyKey: { key, ttlMs: 60_000 },
      }),
    ).toEqual({ created: true });
    const { status: _status, ...json } = loser;
    await redis.zadd(outbox, ended, loser.id);
    await redis.hset(recordKey(loser.id), 'j', JSON.stringify(json), 's', 'dispatching', 'l', 'x', 't', 60_000);
    const taken = await store.leaseNotifications({ now, leaseUntil, limit: 1_000 });
    expect(taken.map((each) => each.id)).not.toContain(loser.id);
    expect(await store.getNotification(loser.id)).toBeUndefined();
    expect(await redis.zscore(outbox, loser.id)).toBeNull();
    expect(await store.getIdempotencyKey(key)).toBe(winner.id);
    expect((await store.getNotification(winner.id))?.status).toBe('dispatching');
    await store.markNotificationDispatched(winner.id);
  });

  it('after the key was lost, before the record was removed: the relay abandons it', async () => {
    const store = new RedisStore({ redis, namespace });
    const key = unique('key');
    const winner = record(unique('notification'), key);
    await store.beginNotification(winner, {
      leaseUntil: new Date(Date.now() + 60_000).toISOString(),
      idempotencyKey: { key, ttlMs: 60_000 },
    });
    // The losing begin wrote its entry and record, was told of the winner, and died before cleaning up.
    const loser = record(unique('notification'), key);
    const result = await store.beginNotification(loser, { leaseUntil: now, idempotencyKey: { key, ttlMs: 60_000 } });
    expect(result).toMatchObject({ created: false, notificationId: winner.id });
    const { status: _status, ...json } = loser;
    await redis.zadd(outbox, ended, loser.id);
    await redis.hset(recordKey(loser.id), 'j', JSON.stringify(json), 's', 'dispatching', 'l', now, 't', 60_000);
    expect((await store.leaseNotifications({ now, leaseUntil, limit: 1_000 })).map((each) => each.id)).not.toContain(
      loser.id,
    );
    expect(await store.getNotification(loser.id)).toBeUndefined();
    await store.markNotificationDispatched(winner.id);
  });
});

describe('RedisStore on a Redis Cluster: digests and throttles', () => {
  const T0 = Date.UTC(2024, 4, 1, 10);
  const at = (ms: number): string => new Date(ms).toISOString();
  const openIndex = `${prefix}{digests}:open`;
  const openIndexKeys = `${prefix}{digests}:open-keys`;
  const join = (recipientId: string, key: string, notificationId = unique('notification')) => ({
    key,
    openAs: `digest:${notificationId}`,
    type: 'ticket.commented',
    recipientId,
    event: { notificationId, payload: { ticketId: 't-1' }, createdAt: at(T0) },
    at: at(T0),
    closesAt: at(T0 + 600_000),
    maxEvents: 100,
  });

  it('keeps a recipient’s buckets, digest keys and throttle logs on their inbox slot, the open index on its own', async () => {
    const store = new RedisStore({ redis, namespace });
    const recipientId = unique('user');
    const key = `ticket.commented|t-1|${recipientId}`;
    const [opened] = await store.joinDigests([join(recipientId, key)]);
    await store.takeThrottles([{ recipientId, key: 'push', member: 'd-1', limit: 3, windowMs: 60_000, at: at(T0) }]);
    const base = `${prefix}{u:${recipientId}}:`;
    const keys = [`dg:${opened!.digestId}`, `dk:${key}`, 'th:push', 'counts'].map((name) => base + name);
    expect(await Promise.all(keys.slice(0, 3).map((name) => redis.exists(name)))).toEqual([1, 1, 1]);
    const slots = await Promise.all(keys.map(slotOf));
    expect(new Set(slots).size).toBe(1);
    expect(await slotOf(openIndex)).toBe(await slotOf(openIndexKeys));
    expect(await slotOf(openIndex)).not.toBe(slots[0]);
  });

  it('skips an index entry whose join was cut short before the bucket opened, and drops it once it is old', async () => {
    const store = new RedisStore({ redis, namespace });
    const recipientId = unique('user');
    const keyPrefix = `ticket.commented|${unique('ticket')}|`;
    const member = `digest:never-opened\u0000${recipientId}`;
    await redis.zadd(openIndex, 0, member);
    await redis.hset(
      openIndexKeys,
      member,
      JSON.stringify([recipientId, `${keyPrefix}${recipientId}`, `${Date.now()}:x:1`]),
    );
    const [opened] = await store.joinDigests([join(recipientId, `${keyPrefix}${recipientId}`)]);
    expect((await store.listOpenDigests(keyPrefix, { limit: 10 })).map((bucket) => bucket.id)).toEqual([
      opened!.digestId,
    ]);
    // Young: it may be a join about to open its bucket, so it stays.
    expect(await redis.zscore(openIndex, member)).not.toBeNull();
    // A day old: no join takes that long; it goes.
    await redis.hset(openIndexKeys, member, JSON.stringify([recipientId, `${keyPrefix}${recipientId}`, '1000:x:1']));
    expect((await store.listOpenDigests(keyPrefix, { limit: 10 })).map((bucket) => bucket.id)).toEqual([
      opened!.digestId,
    ]);
    expect(await redis.zscore(openIndex, member)).toBeNull();
    expect(await redis.hget(openIndexKeys, member)).toBeNull();
  });

  it('skips and drops the index entry of a bucket whose closer died before dropping it', async () => {
    const store = new RedisStore({ redis, namespace });
    const recipientId = unique('user');
    const keyPrefix = `ticket.commented|${unique('ticket')}|`;
    const first = join(recipientId, `${keyPrefix}${recipientId}`);
    await store.joinDigests([first]);
    const member = `${first.openAs}\u0000${recipientId}`;
    const entry = await redis.hget(openIndexKeys, member);
    expect(entry).not.toBeNull();
    await store.closeDigest(recipientId, first.openAs, at(T0 + 600_000));
    expect(await redis.zscore(openIndex, member)).toBeNull();
    // The closer's second write never happened.
    await redis.zadd(openIndex, 0, member);
    await redis.hset(openIndexKeys, member, entry!);
    expect(await store.listOpenDigests(keyPrefix, { limit: 10 })).toEqual([]);
    expect(await redis.zscore(openIndex, member)).toBeNull();
  });

  it('leaves no index entry behind for the buckets 40 racing joins did not open', async () => {
    const stores = Array.from({ length: 4 }, () => new RedisStore({ redis: connect(), namespace }));
    const recipientId = unique('user');
    const keyPrefix = `ticket.commented|${unique('ticket')}|`;
    const key = `${keyPrefix}${recipientId}`;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) => stores[index % 4]!.joinDigests([join(recipientId, key)])),
    );
    const ids = new Set(results.map(([result]) => result!.digestId));
    expect(ids.size).toBe(1);
    const members = await redis.zrangebylex(openIndex, `[digest:`, '+');
    const mine = members.filter((member) => member.endsWith(`\u0000${recipientId}`));
    expect(mine).toEqual([`${[...ids][0]}\u0000${recipientId}`]);
  });
});
