// RedisStore when Redis goes away: calls fail fast with a StoreError, nothing is half-applied, and the same store
// instance works again once Redis is back. Uses its own redis-server (append-only file fsynced on every write, so
// a SIGKILL loses nothing that was acknowledged) that the tests kill and restart on the same port.
import { type InboxItem, StoreError } from '@herald/core';
import type { NewInboxItem } from '@herald/core/spec';
import { unreadTruth } from '@herald/testing';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../scripts/redis-server';
import { RedisStore } from './redis';

let server: RedisServer;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedisServer({
    args: ['--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes'],
  });
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server?.stop();
});

/** The client settings the README recommends: bounded retries, quick reconnects, a command timeout. */
function connect(overrides: Pick<RedisOptions, 'maxRetriesPerRequest' | 'commandTimeout'> = {}): Redis {
  const client = new Redis(server.url, {
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    retryStrategy: () => 100,
    ...overrides,
  });
  // Connection errors while Redis is down are expected here; the store reports them per call.
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

let counter = 0;
function item(userId: string, type = 'ticket.assigned'): NewInboxItem {
  counter += 1;
  return {
    id: `fault-item-${counter}`,
    userId,
    notificationId: `fault-notification-${counter}`,
    type,
    title: 'Ticket assigned',
    body: 'Printer on fire',
    createdAt: new Date().toISOString(),
  };
}

async function outcome(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => 'resolved',
    (error: unknown) => error,
  );
}

async function waitUntilServing(store: RedisStore, userId: string): Promise<void> {
  for (;;) {
    try {
      await store.lastPosition(userId);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function allItems(store: RedisStore, userId: string): Promise<InboxItem[]> {
  return store.listInboxAfter(userId, 0, 100_000);
}

describe('RedisStore when Redis stops', () => {
  it('fails every call with a StoreError while Redis is down, then the same store works again after a restart', async () => {
    const store = new RedisStore({ redis: connect(), namespace: 'faults-down', timeoutMs: 5_000 });
    const userId = 'user-down';
    const before = await store.insertInboxItems([item(userId, 'alpha'), item(userId, 'beta'), item(userId, 'alpha')]);
    await store.markRead(userId, [before[0]!.id], new Date().toISOString());
    const countBefore = await store.unreadCount(userId);

    await server.kill();
    const failures = await Promise.all([
      outcome(store.unreadCount(userId)),
      outcome(store.insertInboxItems([item(userId, 'alpha')])),
      outcome(store.markRead(userId, [before[1]!.id], new Date().toISOString())),
      outcome(store.markAllRead(userId, {}, new Date().toISOString())),
      outcome(
        store.beginNotification(
          {
            id: 'fault-notification',
            type: 'fault.test',
            payload: {},
            recipients: [{ id: userId }],
            kinds: ['inApp'],
            createdAt: new Date().toISOString(),
            status: 'dispatching',
            idempotencyKey: 'fault-key',
          },
          {
            leaseUntil: new Date(Date.now() + 60_000).toISOString(),
            idempotencyKey: { key: 'fault-key', ttlMs: 60_000 },
          },
        ),
      ),
      outcome(store.listInbox(userId)),
    ]);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(StoreError);
      expect((failure as StoreError).code).toBe('STORE');
      expect((failure as StoreError).cause).toBeDefined();
    }

    await server.restart();
    await waitUntilServing(store, userId);
    // Nothing the failed calls attempted is visible: same items, same counters, same last position.
    expect(await allItems(store, userId)).toEqual(
      await store.getInboxItems(
        userId,
        before.map((each) => each.id),
      ),
    );
    expect(await store.lastPosition(userId)).toBe(before[2]!.position);
    expect(await store.unreadCount(userId)).toEqual(countBefore);
    expect(await store.getIdempotencyKey('fault-key')).toBeUndefined();

    // The same instance works again.
    const [next] = await store.insertInboxItems([item(userId, 'beta')]);
    expect(next!.position).toBe(before[2]!.position + 1);
    expect(await store.markRead(userId, [before[1]!.id], new Date().toISOString())).toEqual([before[1]!.id]);
    expect(await store.unreadCount(userId)).toEqual({ total: 2, unseen: 2, byType: { alpha: 1, beta: 1 } });
  });

  it('keeps counters equal to the items when Redis is killed in the middle of concurrent changes', async () => {
    const stores = Array.from(
      { length: 8 },
      () => new RedisStore({ redis: connect(), namespace: 'faults-busy', timeoutMs: 5_000 }),
    );
    const userId = 'user-busy';
    const types = ['alpha', 'beta', 'gamma'];
    const seeded = await stores[0]!.insertInboxItems(
      Array.from({ length: 90 }, (_, index) => item(userId, types[index % 3])),
    );
    const ids = seeded.map((each) => each.id);

    let stop = false;
    let succeeded = 0;
    let failed = 0;
    const workers = stores.map(async (store, worker) => {
      for (let round = 0; !stop; round++) {
        const pick = [ids[(worker * 13 + round * 7) % ids.length]!, ids[(worker * 5 + round * 11) % ids.length]!];
        const at = new Date().toISOString();
        const call =
          round % 4 === 0
            ? store.insertInboxItems([item(userId, types[round % 3]), item(userId, types[worker % 3])])
            : round % 4 === 1
              ? store.markRead(userId, pick, at)
              : round % 4 === 2
                ? store.markUnread(userId, pick)
                : store.markAllRead(userId, { type: types[worker % 3]! }, at);
        const result = await outcome(call);
        if (result === 'resolved') succeeded += 1;
        else {
          expect(result).toBeInstanceOf(StoreError);
          failed += 1;
        }
      }
    });

    // Let the traffic run, kill Redis under it, and keep the workers hammering the dead server for a moment.
    while (succeeded < 200) await new Promise((resolve) => setTimeout(resolve, 5));
    await server.kill();
    while (failed < 16) await new Promise((resolve) => setTimeout(resolve, 5));
    stop = true;
    await Promise.all(workers);

    await server.restart();
    await waitUntilServing(stores[0]!, userId);
    const items = await allItems(stores[0]!, userId);
    expect(items.length).toBeGreaterThanOrEqual(90);
    expect(new Set(items.map((each) => each.position)).size).toBe(items.length);
    expect(await stores[0]!.lastPosition(userId)).toBe(items.reduce((last, each) => Math.max(last, each.position), 0));
    const truth = unreadTruth(items);
    const counted = await stores[0]!.unreadCount(userId);
    expect(counted).toEqual(truth);
    const unreadListed = await stores[0]!.listInboxAfter(userId, 0, 100_000);
    expect(unreadListed.filter((each) => each.readAt === undefined)).toHaveLength(truth.total);
    for (const type of types) {
      const page = await stores[0]!.listInbox(userId, { status: 'unread', type, limit: 100 });
      expect(page.items.length).toBe(Math.min(100, truth.byType[type] ?? 0));
    }
  });

  it('gives a prune 30 times the timeout of a request-path call', async () => {
    const client = connect();
    const store = new RedisStore({ redis: client, namespace: 'faults-prune', timeoutMs: 100 });
    await store.lastPosition('user-prune');
    // Sent on the store's own connection, so the calls below wait behind the stall, in order.
    const slept = client.call('DEBUG', 'SLEEP', '0.5');
    const [read, pruned] = await Promise.all([
      outcome(store.unreadCount('user-prune')),
      outcome(store.pruneInbox({ readBefore: new Date().toISOString() })),
    ]);
    await slept;
    expect(read).toBeInstanceOf(StoreError);
    expect((read as StoreError).message).toBe('RedisStore.unreadCount did not complete within 100 ms');
    expect(pruned).toBe('resolved');
  });

  it('bounds a call by its own timeout when the client would queue commands forever', async () => {
    // maxRetriesPerRequest: null makes ioredis wait for a reconnect indefinitely; the store's timeout still applies.
    const patient = connect({ maxRetriesPerRequest: null, commandTimeout: 60_000 });
    const store = new RedisStore({ redis: patient, namespace: 'faults-patient', timeoutMs: 300 });
    await store.lastPosition('user-patient');
    await server.kill();
    const failure = await outcome(store.unreadCount('user-patient'));
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).message).toBe('RedisStore.unreadCount did not complete within 300 ms');
    // Drop the queued command before Redis returns, so it is never sent.
    patient.disconnect();
    await server.restart();
  });
});
