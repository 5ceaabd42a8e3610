import type { AddressInfo } from 'node:net';
import { defineNotification, type Herald } from '@herald/core';
import { MemoryStore } from '@herald/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { computeBackoffMs } from './backoff';
import { createHeraldClient, type HeraldClient, type HeraldClientSettings } from './client';
import { insertItems, startTestGateway, type TestGateway, waitUntil } from './test-support';

const ticketAssigned = defineNotification({
  type: 'ticket.assigned',
  schema: z.object({ title: z.string() }),
  channels: { inApp: ({ payload }) => ({ title: 'Ticket assigned', body: payload.title }) },
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `ws`, remembering every socket it opened so a test can cut one. */
function trackedWebSocket(): { sockets: WebSocket[]; Impl: typeof WebSocket } {
  const sockets: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return { sockets, Impl: Tracked as typeof WebSocket };
}

async function setup(): Promise<{ store: MemoryStore; herald: Herald; gateway: TestGateway }> {
  const store = new MemoryStore();
  const gateway = await startTestGateway({ store });
  cleanups.push(() => gateway.stop());
  return { store, herald: gateway.herald, gateway };
}

function client(settings: Partial<HeraldClientSettings> & { url: string }): HeraldClient {
  const created = createHeraldClient({ WebSocket, reconnect: { baseMs: 10, capMs: 50 }, ...settings });
  cleanups.push(() => created.close());
  return created;
}

function waitForStatus(target: HeraldClient, status: string): Promise<void> {
  return waitUntil(() => target.getSnapshot().status === status);
}

describe('createHeraldClient', () => {
  it('shows live notifications newest first, counts them and acknowledges them', async () => {
    const { store, herald, gateway } = await setup();
    const ann = client({ url: gateway.url, token: 'user:ann' });
    await waitForStatus(ann, 'open');
    const shown: string[] = [];
    ann.on('notification', ({ item }) => shown.push(item.body));
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'first' } });
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'second' } });
    await waitUntil(() => ann.getSnapshot().items.length === 2);
    const snapshot = ann.getSnapshot();
    expect(snapshot.items.map((item) => item.body)).toEqual(['second', 'first']);
    expect(snapshot.unread).toEqual({ total: 2, unseen: 2, byType: { 'ticket.assigned': 2 } });
    expect(snapshot.lastPosition).toBe(2);
    expect(shown).toEqual(['first', 'second']);
    await waitUntil(async () => (await herald.inbox.undelivered('ann')).length === 0);
    expect(
      (
        await store.getInboxItems(
          'ann',
          snapshot.items.map((item) => item.id),
        )
      ).every((item) => item.deliveredAt),
    ).toBe(true);
  });

  it('keeps the snapshot identity until state changes, and notifies subscribers on change', async () => {
    const { store, herald, gateway } = await setup();
    const ann = client({ url: gateway.url, token: 'user:ann' });
    await waitForStatus(ann, 'open');
    const before = ann.getSnapshot();
    expect(ann.getSnapshot()).toBe(before);
    let calls = 0;
    const unsubscribe = ann.subscribe(() => {
      calls += 1;
    });
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'x' } });
    await waitUntil(() => ann.getSnapshot().items.length === 1);
    expect(ann.getSnapshot()).not.toBe(before);
    expect(calls).toBeGreaterThan(0);
    const after = ann.getSnapshot();
    expect(ann.getSnapshot()).toBe(after);
    // The gateway's echo of our own (optimistic) read changes nothing here: no new snapshot, no listener call.
    const [item] = after.items;
    ann.markRead(item!.id);
    const optimistic = ann.getSnapshot();
    expect(optimistic.unread.total).toBe(0);
    calls = 0;
    await waitUntil(async () => (await store.getInboxItems('ann', [item!.id]))[0]?.readAt !== undefined);
    // Frames on one socket arrive in order: once this item shows, the echo has been handled.
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'y' } });
    await waitUntil(() => ann.getSnapshot().items.length === 2);
    expect(calls).toBe(1);
    unsubscribe();
  });

  it('reconnects with a fresh token, resumes from its position and shows nothing twice', async () => {
    const { store, herald, gateway } = await setup();
    const { sockets, Impl } = trackedWebSocket();
    const tokens: string[] = [];
    const ann = client({
      url: gateway.url,
      WebSocket: Impl,
      getToken: () => {
        tokens.push(`user:ann#${tokens.length}`);
        return 'user:ann';
      },
    });
    const shown: string[] = [];
    ann.on('notification', ({ item }) => shown.push(item.id));
    const statuses: string[] = [];
    ann.on('status', (status) => statuses.push(status));
    await waitForStatus(ann, 'open');
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'a' } });
    await waitUntil(() => shown.length === 1);

    sockets.at(-1)!.terminate();
    await waitUntil(() => statuses.includes('reconnecting'));
    // Written while the client is away: replayed after its position on reconnect.
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'b' } });
    await waitUntil(() => shown.length === 2);
    expect(tokens.length).toBe(2);
    expect(statuses).toEqual(['open', 'reconnecting', 'open']);
    expect(ann.getSnapshot().items.map((item) => item.body)).toEqual(['b', 'a']);
    expect(new Set(shown).size).toBe(2);
    expect(await store.lastPosition('ann')).toBe(2);
  });

  it('queues read changes made while disconnected and sends them after the next welcome', async () => {
    const { store, gateway } = await setup();
    const [item] = await insertItems(store, 'ann', 1);
    const { sockets, Impl } = trackedWebSocket();
    const ann = client({
      url: gateway.url,
      token: 'user:ann',
      WebSocket: Impl,
      reconnect: { baseMs: 200, capMs: 200 },
    });
    await waitUntil(() => ann.getSnapshot().items.length === 1);
    const statuses: string[] = [];
    ann.on('status', (status) => statuses.push(status));
    sockets.at(-1)!.terminate();
    await waitUntil(() => statuses.includes('reconnecting'));
    ann.markRead(item!.id);
    expect(ann.getSnapshot().unread.total).toBe(0);
    expect((await store.getInboxItems('ann', [item!.id]))[0]?.readAt).toBeUndefined();
    await waitUntil(async () => (await store.getInboxItems('ann', [item!.id]))[0]?.readAt !== undefined);
    expect(sockets.length).toBe(2);
  });

  it('keeps trying with backoff while the token is refused, and connects once it is good', async () => {
    const { gateway } = await setup();
    let attempts = 0;
    const ann = client({
      url: gateway.url,
      getToken: async () => {
        attempts += 1;
        return attempts < 3 ? 'expired' : 'user:ann';
      },
    });
    await waitForStatus(ann, 'open');
    expect(attempts).toBe(3);
    expect(ann.getSnapshot().userId).toBe('ann');
  });

  it('syncs markRead, markUnread and markAllRead across two clients of one user', async () => {
    const { store, gateway } = await setup();
    await insertItems(store, 'ann', 2);
    await insertItems(store, 'ann', 1, { type: 'comment.added' });
    const tabA = client({ url: gateway.url, token: 'user:ann' });
    const tabB = client({ url: gateway.url, token: 'user:ann' });
    await waitUntil(() => tabA.getSnapshot().items.length === 3 && tabB.getSnapshot().items.length === 3);
    expect(tabA.getSnapshot().unread.total).toBe(3);
    const [newest] = tabA.getSnapshot().items;

    tabA.markRead(newest!.id);
    expect(tabA.getSnapshot().unread.total).toBe(2); // optimistic
    await waitUntil(() => tabB.getSnapshot().unread.total === 2);
    expect(tabB.getSnapshot().items.find((item) => item.id === newest!.id)?.readAt).toBeDefined();

    tabB.markUnread(newest!.id);
    await waitUntil(() => tabA.getSnapshot().unread.total === 3);
    expect(tabA.getSnapshot().items.find((item) => item.id === newest!.id)?.readAt).toBeUndefined();

    tabA.markAllRead({ notificationType: 'ticket.assigned' });
    await waitUntil(() => tabB.getSnapshot().unread.total === 1);
    const unreadInB = tabB.getSnapshot().items.filter((item) => item.readAt === undefined);
    expect(unreadInB.map((item) => item.type)).toEqual(['comment.added']);

    tabB.markAllRead();
    await waitUntil(() => tabA.getSnapshot().unread.total === 0);
    expect(tabA.getSnapshot().items.every((item) => item.readAt !== undefined)).toBe(true);
    expect((await store.unreadCount('ann')).total).toBe(0);
  });

  it('tells listeners of every change relayed from elsewhere (inboxChange), for items outside its snapshot too', async () => {
    const { store, herald, gateway } = await setup();
    const [first, second] = await insertItems(store, 'ann', 2);
    const tabA = client({ url: gateway.url, token: 'user:ann' });
    await waitUntil(() => tabA.getSnapshot().items.length === 2);
    const changes: unknown[] = [];
    tabA.on('inboxChange', (change) => changes.push(change));

    await herald.inbox.markRead('ann', [first!.id]);
    await waitUntil(() => changes.length === 1);
    expect(changes[0]).toEqual({ type: 'read', ids: [first!.id] });
    await herald.inbox.markUnread('ann', [first!.id]);
    await waitUntil(() => changes.length === 2);
    expect(changes[1]).toEqual({ type: 'unreadItems', ids: [first!.id] });
    await herald.inbox.markSeen('ann', [second!.id]);
    await waitUntil(() => changes.length === 3);
    expect(changes[2]).toEqual({ type: 'seen', ids: [second!.id] });
    await herald.inbox.markAllRead('ann');
    await waitUntil(() => changes.length === 4);
    expect(changes[3]).toMatchObject({ type: 'read', ids: [], all: true });
    await herald.inbox.archive('ann', [second!.id]);
    await waitUntil(() => changes.length === 5);
    expect(changes[4]).toEqual({ type: 'archived', ids: [second!.id] });
    // The snapshot applied each change too.
    expect(tabA.getSnapshot().items.map((item) => item.id)).toEqual([first!.id]);
    expect(tabA.getSnapshot().items[0]?.readAt).toBeDefined();
  });

  it('reports gateway errors for ids that are not the user’s', async () => {
    const { store, gateway } = await setup();
    const [bobItem] = await insertItems(store, 'bob', 1);
    const ann = client({ url: gateway.url, token: 'user:ann' });
    await waitForStatus(ann, 'open');
    const errors: { code: string; ids?: string[] }[] = [];
    ann.on('error', (error) => errors.push(error));
    ann.markRead(bobItem!.id);
    await waitUntil(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ code: 'NOT_FOUND', ids: [bobItem!.id] });
    expect((await store.unreadCount('bob')).total).toBe(1);
  });

  it('resumes after a saved position, with the token in the query string when asked', async () => {
    const { store, gateway } = await setup();
    const items = await insertItems(store, 'ann', 4);
    await store.markDelivered(
      'ann',
      items.map((item) => item.id),
      new Date().toISOString(),
    );
    const ann = client({ url: gateway.url, token: 'user:ann', tokenTransport: 'query', lastPosition: 2 });
    await waitForStatus(ann, 'open');
    expect(ann.getSnapshot().items.map((item) => item.position)).toEqual([4, 3]);
    expect(ann.getSnapshot().lastPosition).toBe(4);
  });

  it('drops a connection that stops answering its pings, and reconnects', async () => {
    // A peer that greets and then goes silent (a half-dead network path looks like this).
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'herald.v1' });
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    let connections = 0;
    server.on('connection', (socket) => {
      connections += 1;
      socket.on('message', (data) => {
        if (JSON.parse(data.toString()).type !== 'hello') return;
        socket.send(
          JSON.stringify({
            type: 'welcome',
            userId: 'ann',
            unread: { total: 0, unseen: 0, byType: {} },
            lastPosition: 0,
            heartbeatMs: 30_000,
          }),
        );
        socket.send(JSON.stringify({ type: 'synced', lastPosition: 0 }));
      });
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const ann = client({ url: `ws://127.0.0.1:${port}/realtime`, token: 'user:ann', pingIntervalMs: 30 });
    const errors: string[] = [];
    ann.on('error', ({ message }) => errors.push(message));
    await waitUntil(() => connections >= 2);
    expect(ann.getSnapshot().userId).toBe('ann');
    expect(errors).toEqual([]); // dropped by the client itself: no close event was reported
  });

  it('stops for good on close()', async () => {
    const { gateway } = await setup();
    const ann = client({ url: gateway.url, token: 'user:ann' });
    await waitForStatus(ann, 'open');
    void ann.close();
    expect(ann.getSnapshot().status).toBe('closed');
    await waitUntil(() => gateway.gateway.stats().connections === 0);
  });
});

describe('refused tokens', () => {
  it('tells a refused token from a network failure, asks for a fresh one, and stops at maxTokenRefusals', async () => {
    const { gateway } = await setup();
    const asked: boolean[] = [];
    let token = 'expired';
    const ann = client({
      url: gateway.url,
      getToken: ({ wasRefused }) => {
        asked.push(wasRefused);
        return token;
      },
    });
    const errors: string[] = [];
    ann.on('error', ({ code }) => errors.push(code));
    const statuses: string[] = [];
    ann.on('status', (status) => statuses.push(status));
    await waitForStatus(ann, 'unauthorized');
    expect(asked).toEqual([false, true, true]);
    expect(errors).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']);
    expect(statuses.at(-1)).toBe('unauthorized');
    // It stays stopped: no further attempt until connect().
    expect(gateway.gateway.stats().rejectedUpgrades).toBe(3);
    token = 'user:ann';
    ann.connect();
    await waitForStatus(ann, 'open');
    expect(ann.getSnapshot().userId).toBe('ann');
    expect(gateway.gateway.stats().rejectedUpgrades).toBe(3);
  });

  it('refuses a maxTokenRefusals that is not a positive integer, before connecting', () => {
    expect(() => createHeraldClient({ url: 'ws://127.0.0.1:1/realtime', maxTokenRefusals: 0, WebSocket })).toThrow(
      'maxTokenRefusals: expected a positive integer, got 0',
    );
  });

  it('stops after one refusal when told so, with a fixed token', async () => {
    const { gateway } = await setup();
    const ann = client({ url: gateway.url, token: 'expired', maxTokenRefusals: 1 });
    await waitForStatus(ann, 'unauthorized');
    expect(gateway.gateway.stats().rejectedUpgrades).toBe(1);
  });
});

describe('close, disconnect and connect', () => {
  it('close() sends the acks still in their batch before closing, so no other tab gets the item again', async () => {
    const { store, herald, gateway } = await setup();
    const ann = client({ url: gateway.url, token: 'user:ann' });
    await waitForStatus(ann, 'open');
    let closing: Promise<void> | undefined;
    ann.on('notification', () => {
      closing = ann.close(); // well inside the 100 ms batch
    });
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'seen just before closing' } });
    await waitUntil(() => closing !== undefined);
    await closing;
    expect(ann.getSnapshot().status).toBe('closed');
    await waitUntil(async () => (await herald.inbox.undelivered('ann')).length === 0);
    const [item] = await store.listInboxAfter('ann', 0, 10);
    expect(item?.deliveredAt).toBeDefined();
    const nextTab = client({ url: gateway.url, token: 'user:ann' });
    const replayed: string[] = [];
    nextTab.on('notification', ({ item }) => replayed.push(item.id));
    await waitForStatus(nextTab, 'open');
    expect(replayed).toEqual([]);
  });

  it('close() waits for the gateway only so long: a peer that never answers the close does not hold it', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'herald.v1' });
    cleanups.push(() => {
      for (const socket of server.clients) socket.terminate();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    server.on('connection', (socket) => {
      socket.on('message', () => {
        socket.send(
          JSON.stringify({
            type: 'welcome',
            userId: 'ann',
            unread: { total: 0, unseen: 0, byType: {} },
            lastPosition: 0,
            heartbeatMs: 30_000,
          }),
        );
        socket.send(
          JSON.stringify({
            type: 'notification',
            item: {
              id: 'i1',
              userId: 'ann',
              notificationId: 'n1',
              type: 't',
              position: 1,
              title: 't',
              body: '',
              createdAt: new Date().toISOString(),
            },
          }),
        );
        socket.send(JSON.stringify({ type: 'synced', lastPosition: 1 }));
        // Reads nothing more, so it never answers the close frame.
        (socket as unknown as { _socket: { pause(): void } })._socket.pause();
      });
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const ann = client({ url: `ws://127.0.0.1:${port}/realtime`, token: 'user:ann' });
    await waitForStatus(ann, 'open');
    await ann.close();
    expect(ann.getSnapshot().status).toBe('closed');
  });

  it('disconnect() goes offline keeping the snapshot; connect() resumes after its position', async () => {
    const { herald, gateway } = await setup();
    const ann = client({ url: gateway.url, token: 'user:ann' });
    await waitForStatus(ann, 'open');
    const shown: string[] = [];
    ann.on('notification', ({ item }) => shown.push(item.body));
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'before' } });
    await waitUntil(() => shown.length === 1);
    await ann.disconnect();
    expect(ann.getSnapshot()).toMatchObject({ status: 'disconnected', lastPosition: 1 });
    await waitUntil(() => gateway.gateway.stats().connections === 0);
    await herald.notify(ticketAssigned, { to: 'ann', payload: { title: 'while offline' } });
    ann.markRead(ann.getSnapshot().items[0]!.id); // queued until the next welcome
    ann.connect();
    await waitUntil(() => shown.length === 2);
    await waitForStatus(ann, 'open');
    expect(shown).toEqual(['before', 'while offline']);
    expect(ann.getSnapshot().items.map((item) => item.body)).toEqual(['while offline', 'before']);
    await waitUntil(async () => (await herald.inbox.unreadCount('ann')).total === 1);
    ann.close();
    expect(() => ann.connect()).toThrow('This client was closed; create a new one');
  });
});

describe('the default WebSocket', () => {
  it('uses the `ws` package where the runtime has no global WebSocket (Node 20)', async () => {
    const scope = globalThis as { WebSocket?: unknown };
    const global = scope.WebSocket;
    delete scope.WebSocket;
    cleanups.push(() => {
      if (global !== undefined) scope.WebSocket = global;
    });
    const { gateway } = await setup();
    const ann = createHeraldClient({ url: gateway.url, token: 'user:ann' });
    cleanups.push(() => ann.close());
    await waitForStatus(ann, 'open');
  });

  it('uses the global WebSocket where there is one (browsers, Node 22 and later)', async () => {
    const { gateway } = await setup();
    const { sockets, Impl } = trackedWebSocket();
    const scope = globalThis as { WebSocket?: unknown };
    const global = scope.WebSocket;
    scope.WebSocket = Impl;
    cleanups.push(() => {
      if (global === undefined) delete scope.WebSocket;
      else scope.WebSocket = global;
    });
    const ann = createHeraldClient({ url: gateway.url, token: 'user:ann' });
    cleanups.push(() => ann.close());
    await waitForStatus(ann, 'open');
    expect(sockets).toHaveLength(1);
  });
});

describe('computeBackoffMs', () => {
  it('grows exponentially from the base, is capped, and is fully jittered', () => {
    const settings = { baseMs: 1_000, capMs: 30_000 };
    expect(
      [0, 1, 2, 3, 4, 5, 10].map((failures) => computeBackoffMs(failures, { ...settings, random: () => 0.999999 })),
    ).toEqual([999, 1_999, 3_999, 7_999, 15_999, 29_999, 29_999]);
    expect(computeBackoffMs(7, { ...settings, random: () => 0 })).toBe(0);
    expect(computeBackoffMs(2, { ...settings, random: () => 0.5 })).toBe(2_000);
  });
});
