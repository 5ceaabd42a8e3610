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

const prefix = `test:redis-cluster:${Math.random().toString(36).slice(2, 10)}:`;
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

describeStoreContract('RedisStore on a Redis Cluster', () => new RedisStore({ redis, prefix }), {
  makePeer: () => new RedisStore({ redis: connect(), prefix }),
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
    const store = new RedisStore({ redis, prefix });
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
    const store = new RedisStore({ redis, prefix });
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
    const store = new RedisStore({ redis, prefix });
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
    const store = new RedisStore({ redis, prefix });
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
    const store = new RedisStore({ redis, prefix });
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
